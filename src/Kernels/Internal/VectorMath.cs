using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// arccos for the arc-cosine (ReLU-family) kernels, vectorised. .NET's Math.Acos is scalar, and the
/// closed form needs one arccos per kernel entry per layer, so this is the hot spot of deep ReLU kernels.
/// acos(c) from asin on [0, ½]: asin(z) = z + z·t·g(t), t = z², g the Maclaurin series of
/// (asin(√t)/√t − 1)/t truncated where its terms fall below 1e-17 for t ≤ ¼. |c| > ½ uses
/// acos(|c|) = 2·asin(√((1−|c|)/2)). Scalar and vector paths evaluate the same formula.
/// </summary>
internal static class VectorMath
{
    // g(t) = Σ_{n≥1} c_n t^(n−1), c_n = (2n)! / (4ⁿ (n!)² (2n+1)); 26 terms reach 1e-17 at t = ¼.
    private static readonly double[] G = BuildSeries(26);

    private static double[] BuildSeries(int terms)
    {
        var c = new double[terms];
        double binom = 1; // (2n)!/(4ⁿ (n!)²) built incrementally
        for (int n = 1; n <= terms; n++)
        {
            binom *= (2.0 * n - 1) / (2.0 * n);
            c[n - 1] = binom / (2 * n + 1);
        }
        return c;
    }

    // Estrin's scheme: the 26-term series in a tree of independent FMAs (depth 5) instead of a
    // 25-deep Horner chain, so the evaluation is throughput- rather than latency-bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Series(double t)
    {
        var g = G;
        double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4, t16 = t8 * t8;
        Span<double> q = stackalloc double[13];
        for (int j = 0; j < 13; j++) q[j] = Math.FusedMultiplyAdd(g[2 * j + 1], t, g[2 * j]);
        double r0 = Math.FusedMultiplyAdd(q[1], t2, q[0]), r1 = Math.FusedMultiplyAdd(q[3], t2, q[2]);
        double r2 = Math.FusedMultiplyAdd(q[5], t2, q[4]), r3 = Math.FusedMultiplyAdd(q[7], t2, q[6]);
        double r4 = Math.FusedMultiplyAdd(q[9], t2, q[8]), r5 = Math.FusedMultiplyAdd(q[11], t2, q[10]);
        double r6 = q[12];
        double s0 = Math.FusedMultiplyAdd(r1, t4, r0), s1 = Math.FusedMultiplyAdd(r3, t4, r2), s2 = Math.FusedMultiplyAdd(r5, t4, r4);
        double u0 = Math.FusedMultiplyAdd(s1, t8, s0), u1 = Math.FusedMultiplyAdd(r6, t8, s2);
        return Math.FusedMultiplyAdd(u1, t16, u0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Series(Vector512<double> t)
    {
        var g = G;
        var t2 = t * t; var t4 = t2 * t2; var t8 = t4 * t4; var t16 = t8 * t8;
        static Vector512<double> F(Vector512<double> a, Vector512<double> x, Vector512<double> b) => Vector512.FusedMultiplyAdd(a, x, b);
        static Vector512<double> C(double v) => Vector512.Create(v);
        var q0 = F(C(g[1]), t, C(g[0])); var q1 = F(C(g[3]), t, C(g[2])); var q2 = F(C(g[5]), t, C(g[4])); var q3 = F(C(g[7]), t, C(g[6]));
        var q4 = F(C(g[9]), t, C(g[8])); var q5 = F(C(g[11]), t, C(g[10])); var q6 = F(C(g[13]), t, C(g[12])); var q7 = F(C(g[15]), t, C(g[14]));
        var q8 = F(C(g[17]), t, C(g[16])); var q9 = F(C(g[19]), t, C(g[18])); var q10 = F(C(g[21]), t, C(g[20])); var q11 = F(C(g[23]), t, C(g[22]));
        var q12 = F(C(g[25]), t, C(g[24]));
        var r0 = F(q1, t2, q0); var r1 = F(q3, t2, q2); var r2 = F(q5, t2, q4); var r3 = F(q7, t2, q6); var r4 = F(q9, t2, q8); var r5 = F(q11, t2, q10);
        var s0 = F(r1, t4, r0); var s1 = F(r3, t4, r2); var s2 = F(r5, t4, r4);
        var u0 = F(s1, t8, s0); var u1 = F(q12, t8, s2);
        return F(u1, t16, u0);
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
