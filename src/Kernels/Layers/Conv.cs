using System.Globalization;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// 1-D or 2-D convolution on channels-last inputs ([N, L, C] or [N, H, W, C]) with a k-tap filter.
/// Kernel (NTK parametrization): Σ′(p, q) = W_std²/k·Σ_d Σ(p + d, q + d) + b_std², NTK′ = W_std²/k·Σ_d (NTK + Σ)(p + d, q + d) + b_std²;
/// only the same tap d appears on both sides because filter weights are independent across taps.
/// </summary>
public sealed partial class Conv : ILayer
{
    private readonly Window2D _win;

    /// <summary>Output channels.</summary>
    public int Channels { get; }
    /// <summary>Filter size per spatial axis (one entry for 1-D, two for 2-D).</summary>
    public int[] Filter { get; }
    /// <summary>Strides per spatial axis.</summary>
    public int[] Strides { get; }
    /// <summary>Padding.</summary>
    public Padding Padding { get; }
    /// <summary>W_std.</summary>
    public double WStd { get; }
    /// <summary>b_std, or null for no bias.</summary>
    public double? BStd { get; }
    /// <summary>How weights are scaled (NTK or standard).</summary>
    public WeightScaling Scaling { get; }

    /// <summary>Conv(channels, filter) — e.g. filter [3, 3] for 2-D, [5] for 1-D.</summary>
    public Conv(int channels, int[] filter, int[]? strides = null, Padding padding = Padding.Same, double wStd = 1, double? bStd = 0,
        WeightScaling parametrization = WeightScaling.Ntk)
    {
        if (channels < 1) throw new ArgumentException($"Conv channels must be ≥ 1, got {channels}.", nameof(channels));
        if (filter is null || filter.Length is < 1 or > 2 || filter.Any(f => f < 1))
            throw new ArgumentException($"Conv filter must have 1 or 2 positive sizes, got [{string.Join(", ", filter ?? [])}].", nameof(filter));
        strides ??= Enumerable.Repeat(1, filter.Length).ToArray();
        if (strides.Length != filter.Length || strides.Any(s => s < 1))
            throw new ArgumentException($"Conv strides [{string.Join(", ", strides)}] must be positive, one per filter axis [{string.Join(", ", filter)}].", nameof(strides));
        if (!(wStd >= 0) || !double.IsFinite(wStd)) throw new ArgumentException($"Conv w_std must be finite and ≥ 0, got {wStd}.", nameof(wStd));
        if (bStd is { } b && (!(b >= 0) || !double.IsFinite(b))) throw new ArgumentException($"Conv b_std must be finite and ≥ 0, got {b}.", nameof(bStd));
        Channels = channels; Filter = filter; Strides = strides; Padding = padding; WStd = wStd; BStd = bStd; Scaling = parametrization;
        _win = filter.Length == 2 ? new Window2D(filter[0], filter[1], strides[0], strides[1], padding) : new Window2D(1, filter[0], 1, strides[0], padding);
    }

    /// <inheritdoc/>
    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"conv({Channels}, {string.Join("x", Filter)}, stride={string.Join("x", Strides)}, padding={Padding.ToString().ToLowerInvariant()}, w_std={WStd}, b_std={(BStd is null ? "none" : BStd.Value.ToString(CultureInfo.InvariantCulture))})");

    private (int H, int W) Grid(int[] spatial)
    {
        if (spatial.Length != Filter.Length)
            throw new ArgumentException($"{Name}: a {Filter.Length}-D convolution needs inputs with {Filter.Length} spatial axes, got spatial shape [{string.Join(", ", spatial)}].");
        return spatial.Length == 2 ? (spatial[0], spatial[1]) : (1, spatial[0]);
    }

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
    {
        var (h, w) = Grid(input.Spatial);
        var (ho, wo, _, _) = _win.Output(h, w, Name);
        return new FeatureShape(Filter.Length == 2 ? [ho, wo] : [wo], Channels);
    }

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.Gaussian = true;

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        if (k.Mode == SpatialMode.None)
            throw new ArgumentException($"{Name}: the input has no spatial axes (after flatten/global_avg_pool, or dense inputs).");
        int h = k.Spatial[0], w = k.Spatial[1];
        if (Filter.Length == 2 && k.OneDimensional)
            throw new ArgumentException($"{Name}: a 2-D convolution on 1-D inputs.");
        if (Filter.Length == 1 && !k.OneDimensional)
            throw new ArgumentException($"{Name}: a 1-D convolution on 2-D inputs.");
        var (ho, wo, pt, pl) = _win.Output(h, w, Name);
        int P = h * w, Po = ho * wo;
        bool full = k.Mode == SpatialMode.Full;
        int inPair = full ? P * P : P, outPair = full ? Po * Po : Po;
        int pairs = k.N1 * k.N2;
        double scale = WStd * WStd / (_win.Kh * _win.Kw), b2 = BStd is { } bs ? bs * bs : 0;

        double[] Sum(double[] src, int count, bool fullLayout)
        {
            int ip = fullLayout ? P * P : P, op = fullLayout ? Po * Po : Po;
            var dst = Internal.TileBuffers.Rent(count * op);
            for (int i = 0; i < count; i++)
            {
                if (fullLayout) SpatialOps.ConvFull(src.AsSpan(i * ip, ip), h, w, dst.AsSpan(i * op, op), _win, ho, wo, pt, pl);
                else SpatialOps.ConvDiagonal(src.AsSpan(i * ip, ip), h, w, dst.AsSpan(i * op, op), _win, ho, wo, pt, pl);
            }
            return dst;
        }

        var S = Sum(k.Nngp, pairs, full);
        if (k.Ntk is not null)
        {
            var R = Sum(k.Ntk, pairs, full);
            if (Scaling == WeightScaling.Ntk)
                for (int e = 0; e < R.Length; e++) R[e] = scale * (R[e] + S[e]) + b2;
            else
            {
                double fanC = k.Channels, bias = BStd is null ? 0 : 1;
                for (int e = 0; e < R.Length; e++) R[e] = scale * R[e] + fanC * S[e] + bias;
            }
            Internal.TileBuffers.Return(k.Ntk);
            k.Ntk = R;
        }
        for (int e = 0; e < S.Length; e++) S[e] = scale * S[e] + b2;
        Internal.TileBuffers.Return(k.Nngp);
        k.Nngp = S;
        bool covFull = full && k.CovFull;
        var c1 = Sum(k.Cov1, k.N1, covFull); var c2 = Sum(k.Cov2, k.N2, covFull);
        for (int e = 0; e < c1.Length; e++) c1[e] = scale * c1[e] + b2;
        for (int e = 0; e < c2.Length; e++) c2[e] = scale * c2[e] + b2;
        k.Cov1 = c1; k.Cov2 = c2;
        k.Spatial = [ho, wo];
        k.Channels = Channels;
        k.IsGaussian = true;
        _ = inPair; _ = outPair;
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
