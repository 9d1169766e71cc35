using System.Runtime.Intrinsics;
using NativeFree.Kernels.Internal;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// φ(x) = a·min(x, 0) + b·max(x, 0): ReLU (0, 1), leaky ReLU (α, 1), Abs (−1, 1).
/// With J(θ) = √(k11k22)/(2π)·(sin θ + (π − θ)cos θ) the arc-cosine kernel of Cho and Saul and
/// θ = arccos(k12/√(k11k22)): E[φφ] = (a² + b²)·J(θ) − 2ab·J(π − θ) and
/// E[φ′φ′] = ((a² + b²)(π − θ) + 2ab·θ)/(2π). Vectorised with AVX-512 when available.
/// Zero-variance inputs give θ = π/2 (no NaN).
/// </summary>
public partial class ABRelu : Activation
{
    private readonly string _name;

    /// <summary>Slope for x &lt; 0.</summary>
    public double A { get; }
    /// <summary>Slope for x &gt; 0.</summary>
    public double B { get; }

    /// <summary>φ(x) = a·min(x, 0) + b·max(x, 0).</summary>
    public ABRelu(double a, double b) : this(a, b, $"abrelu({a.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {b.ToString(System.Globalization.CultureInfo.InvariantCulture)})") { }

    /// <summary>Named variant (relu, leaky_relu, abs).</summary>
    protected ABRelu(double a, double b, string name)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b)) throw new ArgumentException($"ABReLU slopes must be finite, got a={a}, b={b}.");
        A = a; B = b; _name = name;
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <inheritdoc/>
    public override double Value(double x) => x < 0 ? A * x : B * x;

    /// <inheritdoc/>
    public override double Derivative(double x) => x < 0 ? A : B;

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        int n = k12.Length, e = 0;
        bool hasNtk = !ntk.IsEmpty;
        double s = A * A + B * B, m = 2 * A * B;
        const double inv2Pi = 1.0 / (2 * Math.PI);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s); var vm = Vector512.Create(m); var vi = Vector512.Create(inv2Pi);
            var vpi = Vector512.Create(Math.PI); var one = Vector512<double>.One; var zero = Vector512<double>.Zero;
            for (; e <= n - 8; e += 8)
            {
                var q1 = Vector512.Create(k11.Slice(e, 8)); var q2 = Vector512.Create(k22.Slice(e, 8));
                var x = Vector512.Create((ReadOnlySpan<double>)k12.Slice(e, 8));
                var norm = Vector512.Sqrt(q1 * q2);
                var c = Vector512.ConditionalSelect(Vector512.GreaterThan(norm, zero), x / norm, zero);
                c = Vector512.Min(Vector512.Max(c, -one), one);
                var th = VectorMath.Acos(c);
                var sn = Vector512.Sqrt(Vector512.Max(one - c * c, zero));
                var jp = norm * vi * (sn + (vpi - th) * c);
                var jm = norm * vi * (sn - th * c);
                (vs * jp - vm * jm).CopyTo(k12.Slice(e, 8));
                if (hasNtk)
                {
                    var dot = (vs * (vpi - th) + vm * th) * vi;
                    (Vector512.Create((ReadOnlySpan<double>)ntk.Slice(e, 8)) * dot).CopyTo(ntk.Slice(e, 8));
                }
            }
        }
        for (; e < n; e++)
        {
            double norm = Math.Sqrt(k11[e] * k22[e]);
            double c = norm > 0 ? k12[e] / norm : 0;
            c = Math.Min(Math.Max(c, -1), 1);
            double th = VectorMath.Acos(c);
            double sn = Math.Sqrt(Math.Max(1 - c * c, 0));
            double jp = norm * inv2Pi * (sn + (Math.PI - th) * c);
            double jm = norm * inv2Pi * (sn - th * c);
            k12[e] = s * jp - m * jm;
            if (hasNtk) ntk[e] *= (s * (Math.PI - th) + m * th) * inv2Pi;
        }
    }
}

public partial class ABRelu
{
    /// <summary>
    /// The dual for one row of a kernel without spatial axes, with the square roots of the variances
    /// precomputed per row (<paramref name="sq1"/>, <paramref name="inv1"/> = 1/sq1 or 0) and per column:
    /// no division and one square root fewer per entry than <see cref="Dual"/>; same formula.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void DualRow(double sq1, double inv1, ReadOnlySpan<double> sq2, ReadOnlySpan<double> inv2, Span<double> k12, Span<double> ntk)
    {
        int n = k12.Length, e = 0;
        bool hasNtk = !ntk.IsEmpty;
        double s = A * A + B * B, m = 2 * A * B;
        const double inv2Pi = 1.0 / (2 * Math.PI);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s * inv2Pi); var vm = Vector512.Create(m * inv2Pi);
            var vpi = Vector512.Create(Math.PI); var one = Vector512<double>.One;
            var vsq1 = Vector512.Create(sq1); var vinv1 = Vector512.Create(inv1);
            for (; e <= n - 8; e += 8)
            {
                var x = Vector512.Create((ReadOnlySpan<double>)k12.Slice(e, 8));
                var norm = vsq1 * Vector512.Create(sq2.Slice(e, 8));
                var c = x * (vinv1 * Vector512.Create(inv2.Slice(e, 8)));
                c = Vector512.MinNative(Vector512.MaxNative(c, -one), one); // c is finite: the IEEE Min/Max NaN fix-ups are not needed
                var th = VectorMath.AcosSin(c, out var sn);
                var pth = vpi - th;
                (norm * (vs * (sn + pth * c) - vm * (sn - th * c))).CopyTo(k12.Slice(e, 8));
                if (hasNtk)
                    (Vector512.Create((ReadOnlySpan<double>)ntk.Slice(e, 8)) * (vs * pth + vm * th)).CopyTo(ntk.Slice(e, 8));
            }
        }
        // Tail: the vector formula with the same rounding order, so an entry's value does not depend on
        // whether it falls in a vector or the tail (the fused FC kernel computes every entry in vectors).
        double ss = s * inv2Pi, mm = m * inv2Pi;
        for (; e < n; e++)
        {
            double norm = sq1 * sq2[e];
            double c = Math.Min(Math.Max(k12[e] * (inv1 * inv2[e]), -1), 1);
            double th = VectorMath.AcosSin(c, out double sn);
            double pth = Math.PI - th;
            k12[e] = norm * (ss * (sn + pth * c) - mm * (sn - th * c));
            if (hasNtk) ntk[e] *= ss * pth + mm * th;
        }
    }
}

/// <summary>ReLU, φ(x) = max(x, 0): the arc-cosine kernel of order 1 (ABReLU with a = 0, b = 1).</summary>
public sealed class Relu() : ABRelu(0, 1, "relu");

/// <summary>Leaky ReLU, φ(x) = max(x, 0) + α·min(x, 0).</summary>
public sealed class LeakyRelu(double alpha) : ABRelu(alpha, 1, $"leaky_relu({alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)})");

/// <summary>Absolute value, φ(x) = |x| (ABReLU with a = −1, b = 1).</summary>
public sealed class Abs() : ABRelu(-1, 1, "abs");
