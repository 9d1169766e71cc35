namespace NativeFree.Tensors;

/// <summary>
/// The library-wide degree of parallelism used by multi-threaded kernels (GEMM, SpGEMM, SpMM…).
/// Defaults to <see cref="Environment.ProcessorCount"/>; set it to 1 for single-threaded runs.
/// Kernels also take a per-call override.
/// </summary>
public static class Parallelism
{
    private static int _maxDegree = Environment.ProcessorCount;

    /// <summary>Maximum number of threads a kernel may use (≥ 1).</summary>
    public static int MaxDegree
    {
        get => _maxDegree;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "The degree of parallelism must be at least 1.");
            _maxDegree = value;
        }
    }

    /// <summary>Resolves a per-call override: null or ≤ 0 means <see cref="MaxDegree"/>.</summary>
    public static int Resolve(int? threads) => threads is > 0 ? threads.Value : _maxDegree;
}
