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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Acos(double c)
    {
        double a = Math.Abs(c);
        bool big = a > 0.5;
        double t = big ? (1 - a) * 0.5 : a * a;
        double z = big ? Math.Sqrt(t) : a;
        var g = G;
        double poly = g[^1];
        for (int i = g.Length - 2; i >= 0; i--) poly = Math.FusedMultiplyAdd(poly, t, g[i]);
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
        var g = G;
        var poly = Vector512.Create(g[^1]);
        for (int i = g.Length - 2; i >= 0; i--) poly = Vector512.FusedMultiplyAdd(poly, t, Vector512.Create(g[i]));
        var asin = Vector512.FusedMultiplyAdd(z * t, poly, z);
        var r = Vector512.ConditionalSelect(big, asin + asin, Vector512.Create(Math.PI / 2) - asin);
        return Vector512.ConditionalSelect(Vector512.LessThan(c, Vector512<double>.Zero), Vector512.Create(Math.PI) - r, r);
    }
}
