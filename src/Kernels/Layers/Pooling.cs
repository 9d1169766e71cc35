using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// Average pooling over windows (divides by the full window size; padded zeros count, as in
/// neural-tangents' default). Mixes positions, so the kernel needs the full spatial covariance:
/// Σ′(o1, o2) = 1/k²·Σ_{a ∈ win(o1), b ∈ win(o2)} Σ(a, b).
/// </summary>
public sealed partial class AvgPool : ILayer
{
    private readonly Window2D _win;
    private readonly int _rank;

    /// <summary>AvgPool(window, strides = window, padding).</summary>
    public AvgPool(int[] window, int[]? strides = null, Padding padding = Padding.Valid)
    {
        if (window is null || window.Length is < 1 or > 2 || window.Any(v => v < 1))
            throw new ArgumentException($"AvgPool window must have 1 or 2 positive sizes, got [{string.Join(", ", window ?? [])}].", nameof(window));
        strides ??= window;
        if (strides.Length != window.Length || strides.Any(s => s < 1))
            throw new ArgumentException($"AvgPool strides [{string.Join(", ", strides)}] must be positive, one per window axis.", nameof(strides));
        _rank = window.Length;
        _win = _rank == 2 ? new Window2D(window[0], window[1], strides[0], strides[1], padding) : new Window2D(1, window[0], 1, strides[0], padding);
        Name = $"avg_pool({string.Join("x", window)}, stride={string.Join("x", strides)}, padding={padding.ToString().ToLowerInvariant()})";
    }

    /// <inheritdoc/>
    public string Name { get; }

    private (int H, int W) Grid(int[] spatial)
    {
        if (spatial.Length != _rank)
            throw new ArgumentException($"{Name}: needs inputs with {_rank} spatial axes, got spatial shape [{string.Join(", ", spatial)}].");
        return _rank == 2 ? (spatial[0], spatial[1]) : (1, spatial[0]);
    }

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
    {
        var (h, w) = Grid(input.Spatial);
        var (ho, wo, _, _) = _win.Output(h, w, Name);
        return input with { Spatial = _rank == 2 ? [ho, wo] : [wo] };
    }

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.Mixing();

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        if (k.Mode != SpatialMode.Full)
            throw new ArgumentException($"{Name}: needs spatial inputs and the full spatial covariance (computed automatically by KernelFunction).");
        int h = k.Spatial[0], w = k.Spatial[1];
        var (ho, wo, pt, pl) = _win.Output(h, w, Name);
        int P = h * w, Po = ho * wo;
        double inv2 = 1.0 / ((double)_win.Kh * _win.Kw * _win.Kh * _win.Kw);
        double[] Pool(double[] src, int count)
        {
            var dst = new double[count * Po * Po];
            for (int i = 0; i < count; i++)
                SpatialOps.PoolFull(src.AsSpan(i * P * P, P * P), h, w, dst.AsSpan(i * Po * Po, Po * Po), _win, ho, wo, pt, pl);
            for (int e = 0; e < dst.Length; e++) dst[e] *= inv2;
            return dst;
        }
        k.Nngp = Pool(k.Nngp, k.N1 * k.N2);
        if (k.Ntk is not null) k.Ntk = Pool(k.Ntk, k.N1 * k.N2);
        if (k.CovFull) { k.Cov1 = Pool(k.Cov1, k.N1); k.Cov2 = Pool(k.Cov2, k.N2); }
        else { k.Cov1 = new double[k.N1 * Po]; k.Cov2 = new double[k.N2 * Po]; k.CovStale = true; }
        k.Spatial = [ho, wo];
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Mean over all spatial positions. Kernel: Σ′ = mean over (p, q) of Σ(p, q): the CNTK with global average
/// pooling, which needs the full spatial covariance.
/// </summary>
public sealed partial class GlobalAvgPool : ILayer
{
    /// <inheritdoc/>
    public string Name => "global_avg_pool";
    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
    {
        if (input.Spatial.Length == 0) throw new ArgumentException($"{Name}: the input {input} has no spatial axes.");
        return new FeatureShape([], input.Channels);
    }
    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.Mixing();
    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        if (k.Mode != SpatialMode.Full)
            throw new ArgumentException($"{Name}: needs spatial inputs and the full spatial covariance (computed automatically by KernelFunction).");
        int P = k.Positions, PP = P * P;
        static double[] Mean(double[] src, int count, int size)
        {
            var dst = new double[count];
            for (int i = 0; i < count; i++) dst[i] = System.Numerics.Tensors.TensorPrimitives.Sum<double>(src.AsSpan(i * size, size)) / size;
            return dst;
        }
        k.Nngp = Mean(k.Nngp, k.N1 * k.N2, PP);
        if (k.Ntk is not null) k.Ntk = Mean(k.Ntk, k.N1 * k.N2, PP);
        if (k.CovFull) { k.Cov1 = Mean(k.Cov1, k.N1, PP); k.Cov2 = Mean(k.Cov2, k.N2, PP); }
        else { k.Cov1 = new double[k.N1]; k.Cov2 = new double[k.N2]; k.CovStale = true; }
        k.Mode = SpatialMode.None; k.Spatial = []; k.CovFull = false;
        return k;
    }
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Flattens spatial axes and channels into one feature axis. Kernel: the mean over positions of the
/// same-position covariance Σ(p, p) (a following Dense divides by the fan-in C·P); cheap in diagonal mode.
/// </summary>
public sealed partial class Flatten : ILayer
{
    /// <inheritdoc/>
    public string Name => "flatten";
    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input) => new([], input.Size);
    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) { }
    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        if (k.Mode == SpatialMode.None) return k;
        int P = k.Positions;
        bool full = k.Mode == SpatialMode.Full;
        static double[] DiagMean(double[] src, int count, int P, bool full)
        {
            var dst = new double[count];
            for (int i = 0; i < count; i++)
            {
                double s = 0;
                if (full) for (int p = 0; p < P; p++) s += src[(i * P + p) * P + p];
                else for (int p = 0; p < P; p++) s += src[i * P + p];
                dst[i] = s / P;
            }
            return dst;
        }
        k.Nngp = DiagMean(k.Nngp, k.N1 * k.N2, P, full);
        if (k.Ntk is not null) k.Ntk = DiagMean(k.Ntk, k.N1 * k.N2, P, full);
        bool covFull = full && k.CovFull;
        k.Cov1 = DiagMean(k.Cov1, k.N1, P, covFull);
        k.Cov2 = DiagMean(k.Cov2, k.N2, P, covFull);
        k.Channels *= P;
        k.Mode = SpatialMode.None; k.Spatial = []; k.CovFull = false;
        return k;
    }
    /// <inheritdoc/>
    public override string ToString() => Name;
}
