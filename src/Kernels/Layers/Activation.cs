using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// An elementwise nonlinearity φ. Its kernel transform maps each Gaussian covariance
/// (k11, k22, k12) to E[φ(u)φ(v)] and multiplies the NTK by E[φ′(u)φ′(v)], with (u, v) ~ N(0, [[k11, k12], [k12, k22]]).
/// Subclasses give φ, φ′ and the dual <see cref="Dual"/> over spans (closed form or quadrature).
/// </summary>
public abstract class Activation : ILayer
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>φ(x).</summary>
    public abstract double Value(double x);

    /// <summary>φ′(x) (0 where φ is flat or has a jump, as in neural-tangents' Sign).</summary>
    public abstract double Derivative(double x);

    /// <summary>
    /// The dual activation, elementwise over equal-length spans: <c>k12[e] ← E[φ(u)φ(v)]</c> and, when
    /// <paramref name="ntk"/> is not empty, <c>ntk[e] ← ntk[e]·E[φ′(u)φ′(v)]</c>, with variances k11[e], k22[e].
    /// <paramref name="k12"/> must not overlap <paramref name="k11"/> or <paramref name="k22"/>.
    /// </summary>
    public abstract void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk);

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input) => input;

    /// <inheritdoc/>
    public virtual void Analyze(LayerAnalysis state)
    {
        if (!state.Gaussian)
            throw new ArgumentException(
                $"{Name}: its input is not Gaussian — a nonlinearity must follow a Dense or Conv layer " +
                "(not the raw inputs, not another nonlinearity). Insert e.g. dense(512) before it.");
        state.ReadsVariance();
        state.Gaussian = false;
    }


    /// <inheritdoc/>
    public virtual Kernel Transform(Kernel k)
    {
        if (!k.IsGaussian)
            throw new InvalidOperationException(
                $"{Name}: its input is not Gaussian (a nonlinearity directly after a nonlinearity, or after a layer that keeps a non-Gaussian input). " +
                "Closed-form and quadrature kernels need a Dense or Conv layer before each nonlinearity.");
        k.EnsureCovariances(Name);
        KernelOps.ApplyElementwise(k, this);
        k.IsGaussian = false;
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Loops that feed (k11, k22, k12, ntk) runs of a kernel tile to an activation's dual.</summary>
internal static class KernelOps
{
    /// <summary>
    /// ABReLU then Dense on a kernel without spatial axes in one pass per row (the row stays in L1 between
    /// the two updates): the hot loop of deep fully connected kernels. Same results as the two transforms.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Kernel ReluThenDense(Kernel k, ABRelu ab, Dense dense)
    {
        if (!k.IsGaussian || k.Mode != SpatialMode.None) { k = ab.Transform(k); return dense.Transform(k); }
        k.EnsureCovariances(ab.Name);
        int n1 = k.N1, n2 = k.N2;
        var ntk = k.Ntk;
        var sq2 = new double[n2]; var inv2 = new double[n2];
        for (int j = 0; j < n2; j++) { sq2[j] = Math.Sqrt(Math.Max(k.Cov2[j], 0)); inv2[j] = sq2[j] > 0 ? 1 / sq2[j] : 0; }
        int channels = k.Channels;
        for (int i = 0; i < n1; i++)
        {
            double sq1 = Math.Sqrt(Math.Max(k.Cov1[i], 0));
            var row = k.Nngp.AsSpan(i * n2, n2);
            var trow = ntk is null ? Span<double>.Empty : ntk.AsSpan(i * n2, n2);
            ab.DualRow(sq1, sq1 > 0 ? 1 / sq1 : 0, sq2, inv2, row, trow);
            dense.Pairs(row, trow, channels);
        }
        SelfCovariance(k.Cov1, k.Mode, k.CovFull, 1, ab);
        SelfCovariance(k.Cov2, k.Mode, k.CovFull, 1, ab);
        dense.Covariances(k);
        return k;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ApplyElementwise(Kernel k, Activation act)
    {
        int n1 = k.N1, n2 = k.N2, P = k.Positions;
        var ntk = k.Ntk;
        switch (k.Mode)
        {
            case SpatialMode.None when act is ABRelu ab:
            {
                // Square roots of the variances once per row and column, not once per entry.
                var sq2 = new double[n2]; var inv2 = new double[n2];
                for (int j = 0; j < n2; j++) { sq2[j] = Math.Sqrt(Math.Max(k.Cov2[j], 0)); inv2[j] = sq2[j] > 0 ? 1 / sq2[j] : 0; }
                for (int i = 0; i < n1; i++)
                {
                    double sq1 = Math.Sqrt(Math.Max(k.Cov1[i], 0));
                    ab.DualRow(sq1, sq1 > 0 ? 1 / sq1 : 0, sq2, inv2, k.Nngp.AsSpan(i * n2, n2), ntk is null ? Span<double>.Empty : ntk.AsSpan(i * n2, n2));
                }
                break;
            }
            case SpatialMode.None:
            {
                var s1 = new double[n2];
                for (int i = 0; i < n1; i++)
                {
                    Array.Fill(s1, k.Cov1[i]);
                    act.Dual(s1, k.Cov2, k.Nngp.AsSpan(i * n2, n2), ntk is null ? Span<double>.Empty : ntk.AsSpan(i * n2, n2));
                }
                break;
            }
            case SpatialMode.Diagonal:
            {
                // Cov1/Cov2 hold the diagonal [n, P] here.
                for (int i = 0; i < n1; i++)
                    for (int j = 0; j < n2; j++)
                    {
                        int o = (i * n2 + j) * P;
                        act.Dual(k.Cov1.AsSpan(i * P, P), k.Cov2.AsSpan(j * P, P), k.Nngp.AsSpan(o, P), ntk is null ? Span<double>.Empty : ntk.AsSpan(o, P));
                    }
                break;
            }
            case SpatialMode.Full when act is ABRelu ab:
            {
                // Row (i, j, p) has one variance on the left and the diagonal of input j on the right.
                var d1 = Diagonal(k.Cov1, n1, P, k.CovFull);
                var d2 = Diagonal(k.Cov2, n2, P, k.CovFull);
                var sq1 = d1.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
                var sq2 = d2.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
                var inv2 = sq2.Select(v => v > 0 ? 1 / v : 0).ToArray();
                for (int i = 0; i < n1; i++)
                    for (int j = 0; j < n2; j++)
                        for (int p = 0; p < P; p++)
                        {
                            double s = sq1[i * P + p];
                            int o = ((i * n2 + j) * P + p) * P;
                            ab.DualRow(s, s > 0 ? 1 / s : 0, sq2.AsSpan(j * P, P), inv2.AsSpan(j * P, P), k.Nngp.AsSpan(o, P), ntk is null ? Span<double>.Empty : ntk.AsSpan(o, P));
                        }
                break;
            }
            default:
            {
                var d1 = Diagonal(k.Cov1, n1, P, k.CovFull);
                var d2 = Diagonal(k.Cov2, n2, P, k.CovFull);
                var s1 = new double[P];
                for (int i = 0; i < n1; i++)
                    for (int j = 0; j < n2; j++)
                        for (int p = 0; p < P; p++)
                        {
                            Array.Fill(s1, d1[i * P + p]);
                            int o = ((i * n2 + j) * P + p) * P;
                            act.Dual(s1, d2.AsSpan(j * P, P), k.Nngp.AsSpan(o, P), ntk is null ? Span<double>.Empty : ntk.AsSpan(o, P));
                        }
                break;
            }
        }
        SelfCovariance(k.Cov1, k.Mode, k.CovFull, P, act);
        SelfCovariance(k.Cov2, k.Mode, k.CovFull, P, act);
    }

    /// <summary>Diagonal [n, P] of self-covariances (a view of the data when they are already diagonal).</summary>
    public static double[] Diagonal(double[] cov, int n, int P, bool full)
    {
        if (!full) return cov;
        var d = new double[n * P];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < P; p++) d[i * P + p] = cov[(i * P + p) * P + p];
        return d;
    }

    private static void SelfCovariance(double[] cov, SpatialMode mode, bool full, int P, Activation act)
    {
        if (mode != SpatialMode.Full || !full)
        {
            var copy = (double[])cov.Clone();
            act.Dual(copy, copy, cov, Span<double>.Empty);
            return;
        }
        int n = cov.Length / (P * P);
        var d = Diagonal(cov, n, P, true);
        var s1 = new double[P];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < P; p++)
            {
                Array.Fill(s1, d[i * P + p]);
                act.Dual(s1, d.AsSpan(i * P, P), cov.AsSpan((i * P + p) * P, P), Span<double>.Empty);
            }
    }
}
