using BenchmarkDotNet.Attributes;
using NativeFree.Tensors.Sparse;

namespace NativeFree.Bench;

/// <summary>
/// C = A·A on generated matrices, per accumulator policy and thread count. [MemoryDiagnoser] shows
/// that allocation is the output plus the per-thread workspaces (nothing per row).
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*SpGemm*'
/// </summary>
[MemoryDiagnoser]
public class SpGemmBenchmarks
{
    private CsrMatrix<double> _a = null!;

    [Params("rmat12", "lap2d_256", "lap3d_32")]
    public string Matrix { get; set; } = "rmat12";

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(SpGemmAccumulator.Auto, SpGemmAccumulator.Dense, SpGemmAccumulator.Marker, SpGemmAccumulator.Hash, SpGemmAccumulator.Window)]
    public SpGemmAccumulator Accumulator { get; set; }

    [GlobalSetup]
    public void Setup() => _a = Matrix switch
    {
        "rmat12" => SparseGenerators.Rmat<double>(12, 16, seed: 1),
        "lap2d_256" => SparseGenerators.Laplacian2D<double>(256, 256),
        _ => SparseGenerators.Laplacian3D<double>(32, 32, 32),
    };

    [Benchmark]
    public int Multiply() => SpGemm.Multiply(_a, _a, new SpGemmOptions { Threads = Threads, Accumulator = Accumulator }).Nnz;

    [Benchmark]
    public int MultiplySorted() => SpGemm.Multiply(_a, _a, new SpGemmOptions { Threads = Threads, Accumulator = Accumulator, Sorted = true }).Nnz;

    /// <summary>The plain reference Gustavson (dense values, list of touched columns, sort per row).</summary>
    [Benchmark(Baseline = true)]
    public int Reference() => SpGemm.MultiplyReference(_a, _a).Nnz;
}

/// <summary>
/// Masked products C⟨A⟩ = A·A (the triangle-counting form) against the full product they replace, and the
/// sampled form that keeps the mask's whole pattern. Allocation: the (smaller) output plus a ring per thread.
/// </summary>
[MemoryDiagnoser]
public class MaskedSpGemmBenchmarks
{
    private CsrMatrix<double> _a = null!;

    [Params("rmat12", "lap2d_256")]
    public string Matrix { get; set; } = "rmat12";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _a = Matrix == "rmat12" ? SparseGenerators.Rmat<double>(12, 16, seed: 1) : SparseGenerators.Laplacian2D<double>(256, 256);

    [Benchmark(Baseline = true)]
    public int Full() => SpGemm.Multiply(_a, _a, threads: Threads).Nnz;

    [Benchmark]
    public int Masked() => SpGemm.MultiplyMasked(_a, _a, _a, threads: Threads).Nnz;

    [Benchmark]
    public int Sampled() => SpGemm.MultiplyMasked(_a, _a, _a, keepMaskPattern: true, threads: Threads).Nnz;
}

/// <summary>SpMM (sparse × dense) at graph-convolution sizes, and its transposed product.</summary>
[MemoryDiagnoser]
public class SpMMBenchmarks
{
    private CsrMatrix<float> _a = null!;
    private NativeFree.Tensors.Tensor<float> _x = null!;

    [Params(16, 128)]
    public int Features { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _a = SparseGenerators.Rmat<float>(13, 8, seed: 2);
        var data = new float[_a.Columns * Features];
        var rng = new Random(1);
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
        _x = NativeFree.Tensors.Tensor.FromArray(data, _a.Columns, Features);
    }

    [Benchmark]
    public NativeFree.Tensors.Tensor<float> SpMM() => SparseMatMul.SpMM(_a, _x);

    [Benchmark]
    public NativeFree.Tensors.Tensor<float> SpMMTransposed() => SparseMatMul.SpMMTransposed(_a, _x);
}
