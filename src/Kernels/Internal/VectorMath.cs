using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// arccos for the arc-cosine (ReLU-family) kernels, vectorised. .NET's Math.Acos is scalar, and the
/// closed form needs one arccos per kernel entry per layer, so this is the hot spot of deep ReLU kernels.
/// acos(c) from asin on [0, ½]: asin(z) = z + z·t·g(t), t = z² ∈ [0, ¼], g(t) = (asin(√t)/√t − 1)/t.
/// |c| > ½ uses acos(|c|) = 2·asin(√((1−|c|)/2)), so t ≤ ¼ on both branches. Scalar and vector paths
/// evaluate the same formula (same FMAs in the same order), so they agree to the bit.
/// </summary>
/// <remarks>
/// g is a degree-12 Chebyshev (near-minimax) fit on [0, ¼] (mpmath <c>chebyfit(g, [0, 1/4], 13)</c> at 50
/// digits): |g − P| ≤ 1.5e-17, so the approximation adds at most t·1.5e-17 ≤ 4e-18 relative to asin,
/// far below an ulp; what remains is the rounding of the evaluation (measured ≤ 1 ulp against
/// Math.Acos, see AcosTests). The 26-term Maclaurin series it replaces needed twice the FMAs.
/// </remarks>
internal static class VectorMath
{
    private const double G0 = 0.16666666666666669, G1 = 0.07499999999998433, G2 = 0.04464285714635543,
        G3 = 0.030381944138531247, G4 = 0.02237217294214989, G5 = 0.017352392720869973, G6 = 0.013971212973552933,
        G7 = 0.011479177415184906, G8 = 0.01032281435018578, G9 = 0.005457506718640358, G10 = 0.01740087944269402,
        G11 = -0.014851887071247204, G12 = 0.028757851367421566;

    // √(1 − u) on [0, ¼]: chebyfit(√(1 − u), [0, 1/4], 13), |error| ≤ 1.8e-17 (≤ 0.16 ulp of values in [0.86, 1]).
    private const double S0 = 1.0, S1 = -0.4999999999999815, S2 = -0.1250000000041244, S3 = -0.06249999963931342,
        S4 = -0.0390625163329017, S5 = -0.02734331164089207, S6 = -0.020515325325567758, S7 = -0.016027596302914372,
        S8 = -0.01375441009387522, S9 = -0.007446828865423663, S10 = -0.021194963521473254, S11 = 0.017190548009281534,
        S12 = -0.034308838583332474;

    // Estrin's scheme: a tree of independent FMAs (depth 4) instead of a 12-deep Horner chain, so the
    // evaluation is throughput- rather than latency-bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Series(double t)
    {
        double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
        double q0 = Math.FusedMultiplyAdd(G1, t, G0), q1 = Math.FusedMultiplyAdd(G3, t, G2), q2 = Math.FusedMultiplyAdd(G5, t, G4);
        double q3 = Math.FusedMultiplyAdd(G7, t, G6), q4 = Math.FusedMultiplyAdd(G9, t, G8), q5 = Math.FusedMultiplyAdd(G11, t, G10);
        double r0 = Math.FusedMultiplyAdd(q1, t2, q0), r1 = Math.FusedMultiplyAdd(q3, t2, q2), r2 = Math.FusedMultiplyAdd(q5, t2, q4);
        double s0 = Math.FusedMultiplyAdd(r1, t4, r0), s1 = Math.FusedMultiplyAdd(G12, t4, r2);
        return Math.FusedMultiplyAdd(s1, t8, s0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Series(Vector512<double> t)
    {
        var t2 = t * t; var t4 = t2 * t2; var t8 = t4 * t4;
        static Vector512<double> F(Vector512<double> a, Vector512<double> x, Vector512<double> b) => Vector512.FusedMultiplyAdd(a, x, b);
        static Vector512<double> C(double v) => Vector512.Create(v);
        var q0 = F(C(G1), t, C(G0)); var q1 = F(C(G3), t, C(G2)); var q2 = F(C(G5), t, C(G4));
        var q3 = F(C(G7), t, C(G6)); var q4 = F(C(G9), t, C(G8)); var q5 = F(C(G11), t, C(G10));
        var r0 = F(q1, t2, q0); var r1 = F(q3, t2, q2); var r2 = F(q5, t2, q4);
        var s0 = F(r1, t4, r0); var s1 = F(C(G12), t4, r2);
        return F(s1, t8, s0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Sqrt1m(double t)
    {
        double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
        double q0 = Math.FusedMultiplyAdd(S1, t, S0), q1 = Math.FusedMultiplyAdd(S3, t, S2), q2 = Math.FusedMultiplyAdd(S5, t, S4);
        double q3 = Math.FusedMultiplyAdd(S7, t, S6), q4 = Math.FusedMultiplyAdd(S9, t, S8), q5 = Math.FusedMultiplyAdd(S11, t, S10);
        double r0 = Math.FusedMultiplyAdd(q1, t2, q0), r1 = Math.FusedMultiplyAdd(q3, t2, q2), r2 = Math.FusedMultiplyAdd(q5, t2, q4);
        double s0 = Math.FusedMultiplyAdd(r1, t4, r0), s1 = Math.FusedMultiplyAdd(S12, t4, r2);
        return Math.FusedMultiplyAdd(s1, t8, s0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Sqrt1m(Vector512<double> t)
    {
        var t2 = t * t; var t4 = t2 * t2; var t8 = t4 * t4;
        static Vector512<double> F(Vector512<double> a, Vector512<double> x, Vector512<double> b) => Vector512.FusedMultiplyAdd(a, x, b);
        static Vector512<double> C(double v) => Vector512.Create(v);
        var q0 = F(C(S1), t, C(S0)); var q1 = F(C(S3), t, C(S2)); var q2 = F(C(S5), t, C(S4));
        var q3 = F(C(S7), t, C(S6)); var q4 = F(C(S9), t, C(S8)); var q5 = F(C(S11), t, C(S10));
        var r0 = F(q1, t2, q0); var r1 = F(q3, t2, q2); var r2 = F(q5, t2, q4);
        var s0 = F(r1, t4, r0); var s1 = F(C(S12), t4, r2);
        return F(s1, t8, s0);
    }

    /// <summary>
    /// θ = acos(c) and sin θ = √(1 − c²) with one square root: both branches share t ∈ [0, ¼]
    /// (t = c² for |c| ≤ ½, where sin θ = √(1 − t); t = (1 − |c|)/2 above, where 1 − c² = 4t(1 − t), so
    /// sin θ = 2√t·√(1 − t)), and √(1 − t) is a polynomial there. Unlike √(1 − c·c) this keeps full
    /// relative accuracy as |c| → 1 (1 − |c| is exact for |c| ≥ ½). c must lie in [−1, 1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double AcosSin(double c, out double sin)
    {
        double a = Math.Abs(c);
        bool big = a > 0.5;
        double t = big ? (1 - a) * 0.5 : a * a;
        double z = big ? Math.Sqrt(t) : a;
        double asin = Math.FusedMultiplyAdd(z * t, Series(t), z);
        double s = Sqrt1m(t);
        sin = big ? (z + z) * s : s;
        double r = big ? 2 * asin : Math.PI / 2 - asin;
        return c < 0 ? Math.PI - r : r;
    }

    /// <summary>Vector form of <see cref="AcosSin(double, out double)"/> (same operations, bit-identical lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> AcosSin(Vector512<double> c, out Vector512<double> sin)
    {
        var a = Vector512.Abs(c);
        var big = Vector512.GreaterThan(a, Vector512.Create(0.5));
        var tBig = (Vector512<double>.One - a) * Vector512.Create(0.5);
        var t = Vector512.ConditionalSelect(big, tBig, a * a);
        var z = Vector512.ConditionalSelect(big, Vector512.Sqrt(tBig), a);
        var asin = Vector512.FusedMultiplyAdd(z * t, Series(t), z);
        var s = Sqrt1m(t);
        sin = Vector512.ConditionalSelect(big, (z + z) * s, s);
        var r = Vector512.ConditionalSelect(big, asin + asin, Vector512.Create(Math.PI / 2) - asin);
        return Vector512.ConditionalSelect(Vector512.LessThan(c, Vector512<double>.Zero), Vector512.Create(Math.PI) - r, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Acos(double c)
    {
        double a = Math.Abs(c);
        bool big = a > 0.5;
        double t = big ? (1 - a) * 0.5 : a * a;
        double z = big ? Math.Sqrt(t) : a;
        double poly = Series(t);
        double asin = Math.FusedMultiplyAdd(z * t, poly, z);
        double r = big ? 2 * asin : Math.PI / 2 - asin;
        return c < 0 ? Math.PI - r : r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Acos(Vector512<double> c)
    {
        var a = Vector512.Abs(c);
        var big = Vector512.GreaterThan(a, Vector512.Create(0.5));
        var tBig = (Vector512<double>.One - a) * Vector512.Create(0.5);
        var t = Vector512.ConditionalSelect(big, tBig, a * a);
        var z = Vector512.ConditionalSelect(big, Vector512.Sqrt(tBig), a);
        var poly = Series(t);
        var asin = Vector512.FusedMultiplyAdd(z * t, poly, z);
        var r = Vector512.ConditionalSelect(big, asin + asin, Vector512.Create(Math.PI / 2) - asin);
        return Vector512.ConditionalSelect(Vector512.LessThan(c, Vector512<double>.Zero), Vector512.Create(Math.PI) - r, r);
    }
}
