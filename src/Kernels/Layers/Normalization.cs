using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// Layer normalisation over the channel axis (per position), without learnt gain or shift:
/// y = (x − mean)/√(var + ε). Kernel: Σ′(i, j) = Σ(i, j)/√(v_i·v_j) with v the self-variances (NTK likewise).
/// Like neural-tangents, the kernel treats the channel mean as zero, which holds in the infinite-width
/// limit for the output of a Dense/Conv layer (zero-mean weights), not after a nonlinearity.
/// </summary>
public sealed partial class LayerNorm(double epsilon = 1e-12, bool flatInputsOnly = false) : ILayer
{

    /// <inheritdoc/>
    public string Name => "layer_norm";
    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
        => flatInputsOnly && input.Spatial.Length > 0
            ? throw new ArgumentException($"{Name}: input of shape {input} (channels last) has spatial axes; a layer_norm spec normalises every axis of [C, H, W] " +
                "together, whose kernel is not implemented (this transform normalises the channels of each position): flatten or pool first.")
            : input;
    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.ReadsVariance();

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        k.EnsureCovariances(Name);
        int n1 = k.N1, n2 = k.N2, P = k.Positions;
        var d1 = KernelOps.Diagonal(k.Cov1, n1, k.Mode == SpatialMode.None ? 1 : P, k.Mode == SpatialMode.Full && k.CovFull);
        var d2 = KernelOps.Diagonal(k.Cov2, n2, k.Mode == SpatialMode.None ? 1 : P, k.Mode == SpatialMode.Full && k.CovFull);
        var s1 = d1.Select(v => 1 / Math.Sqrt(v + epsilon)).ToArray();
        var s2 = d2.Select(v => 1 / Math.Sqrt(v + epsilon)).ToArray();
        void Scale(double[] a, double[] r1, double[] r2, int na, int nb)
        {
            switch (k.Mode)
            {
                case SpatialMode.None:
                    for (int i = 0; i < na; i++) for (int j = 0; j < nb; j++) a[i * nb + j] *= r1[i] * r2[j];
                    break;
                case SpatialMode.Diagonal:
                    for (int i = 0; i < na; i++) for (int j = 0; j < nb; j++) for (int p = 0; p < P; p++) a[(i * nb + j) * P + p] *= r1[i * P + p] * r2[j * P + p];
                    break;
                default:
                    for (int i = 0; i < na; i++) for (int j = 0; j < nb; j++) for (int p = 0; p < P; p++) for (int q = 0; q < P; q++)
                        a[((i * nb + j) * P + p) * P + q] *= r1[i * P + p] * r2[j * P + q];
                    break;
            }
        }
        Scale(k.Nngp, s1, s2, n1, n2);
        if (k.Ntk is not null) Scale(k.Ntk, s1, s2, n1, n2);
        // Self-covariances: the diagonal becomes v/(v + ε) ≈ 1; full ones are normalised like correlations.
        if (k.Mode == SpatialMode.Full && k.CovFull)
        {
            for (int i = 0; i < n1; i++) for (int p = 0; p < P; p++) for (int q = 0; q < P; q++) k.Cov1[(i * P + p) * P + q] *= s1[i * P + p] * s1[i * P + q];
            for (int i = 0; i < n2; i++) for (int p = 0; p < P; p++) for (int q = 0; q < P; q++) k.Cov2[(i * P + p) * P + q] *= s2[i * P + p] * s2[i * P + q];
        }
        else
        {
            for (int e = 0; e < k.Cov1.Length; e++) k.Cov1[e] *= s1[e] * s1[e];
            for (int e = 0; e < k.Cov2.Length; e++) k.Cov2[e] *= s2[e] * s2[e];
        }
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Inverted dropout with keep probability <c>keep</c>: y = x·m/keep, m ~ Bernoulli(keep), in training mode;
/// the identity in test mode. Kernel (training mode): an input with itself at the same position gets
/// E[m²]/keep² = 1/keep, different inputs or positions are unchanged.
/// </summary>
public sealed partial class Dropout : ILayer
{
    /// <summary>Keep probability in (0, 1].</summary>
    public double Keep { get; }
    /// <summary>True for training mode (masks), false for test mode (identity).</summary>
    public bool Training { get; }

    /// <summary>Dropout with keep probability <paramref name="keep"/>.</summary>
    public Dropout(double keep, bool training = true)
    {
        if (!(keep > 0 && keep <= 1)) throw new ArgumentException($"Dropout keep probability must be in (0, 1], got {keep}.", nameof(keep));
        Keep = keep; Training = training;
    }

    /// <inheritdoc/>
    public string Name => FormattableString.Invariant($"dropout({Keep}, {(Training ? "train" : "test")})");
    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input) => input;
    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) { }

    private static double NormalQuantile(double p)
    {
        if (p >= 1) return double.PositiveInfinity;
        // Bisection on Φ(z) = (1 + erf(z/√2))/2: plenty fast for one call per forward pass.
        double lo = -40, hi = 40;
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (0.5 * (1 + ScalarMath.Erf(mid / Math.Sqrt(2))) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        if (!Training || Keep == 1) return k;
        double f = 1 / Keep;
        int P = k.Positions;
        // Self-covariances: same input, same position.
        void ScaleSelf(double[] cov, int n)
        {
            if (k.Mode == SpatialMode.Full && k.CovFull) { for (int i = 0; i < n; i++) for (int p = 0; p < P; p++) cov[(i * P + p) * P + p] *= f; }
            else for (int e = 0; e < cov.Length; e++) cov[e] *= f;
        }
        ScaleSelf(k.Cov1, k.N1);
        ScaleSelf(k.Cov2, k.N2);
        if (k.SameInputs)
        {
            int n = Math.Min(k.N1, k.N2), n2 = k.N2;
            foreach (var a in new[] { k.Nngp, k.Ntk })
            {
                if (a is null) continue;
                for (int i = 0; i < n; i++)
                {
                    int pair = i * n2 + i;
                    switch (k.Mode)
                    {
                        case SpatialMode.None: a[pair] *= f; break;
                        case SpatialMode.Diagonal: for (int p = 0; p < P; p++) a[pair * P + p] *= f; break;
                        default: for (int p = 0; p < P; p++) a[(pair * P + p) * P + p] *= f; break;
                    }
                }
            }
        }
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
