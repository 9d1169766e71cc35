using System.Runtime.Intrinsics;
using NativeFree.Kernels.Internal;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// VectorMath.Acos (the polynomial arccos of the ReLU-family kernels) against Math.Acos, scalar and vector
/// paths. Tolerance: 2 ulp of the true result. Math.Acos itself is within 1 ulp (glibc), so a 2-ulp bound
/// leaves one ulp for our evaluation's rounding; absolute error then is ≤ 4.5e-16 near c = ½ (acos ≈ 1.05)
/// and ≤ 8.9e-16 near c = −1 (acos ≈ π), and relative ≤ 2.3e-16·2 near c = 1 where acos → 0.
/// </summary>
public class AcosTests
{
    private static double Ulp(double r) => Math.BitIncrement(Math.Abs(r)) - Math.Abs(r);

    private static IEnumerable<double> Points()
    {
        const int n = 1 << 20; // dense grid on [−1, 1]
        for (int i = 0; i <= n; i++) yield return -1 + 2.0 * i / n;
        foreach (double p in new[] { -1.0, -0.5, 0.0, 0.5, 1.0, 1e-300, -1e-300, 1e-10, -1e-10 })
        {
            double lo = p, hi = p;
            for (int k = 0; k < 64; k++)
            {
                lo = Math.BitDecrement(lo); hi = Math.BitIncrement(hi);
                if (lo >= -1) yield return lo;
                if (hi <= 1) yield return hi;
            }
            yield return p;
        }
        // Close to ±1, where acos → 0 or π and the √ branch matters.
        for (int e = 1; e <= 52; e++) { yield return 1 - Math.ScaleB(1, -e); yield return -1 + Math.ScaleB(1, -e); }
    }

    [Fact]
    public void ScalarAcosIsWithinTwoUlpOfMathAcos()
    {
        double worst = 0;
        foreach (double c in Points())
        {
            double want = Math.Acos(c), got = VectorMath.Acos(c);
            double ulps = Math.Abs(got - want) / Ulp(want == 0 ? double.Epsilon : want);
            worst = Math.Max(worst, want == 0 ? (got == 0 ? 0 : double.PositiveInfinity) : ulps);
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void VectorAcosEqualsScalarAcosBitForBit()
    {
        if (!Vector512.IsHardwareAccelerated) return; // only the scalar path exists on this machine (tested above)
        var pts = Points().ToArray();
        var buf = new double[8];
        for (int i = 0; i + 8 <= pts.Length; i += 8)
        {
            VectorMath.Acos(Vector512.Create(pts.AsSpan(i, 8))).CopyTo(buf);
            for (int j = 0; j < 8; j++)
                Assert.True(BitConverter.DoubleToInt64Bits(buf[j]) == BitConverter.DoubleToInt64Bits(VectorMath.Acos(pts[i + j])), $"c = {pts[i + j]:R}");
        }
    }

    [Fact]
    public void AcosSinGivesTheSameAngleAndAnAccurateSine()
    {
        double worst = 0;
        var buf = new double[8]; var sbuf = new double[8];
        var pts = Points().ToArray();
        for (int i = 0; i < pts.Length; i++)
        {
            double c = pts[i];
            double th = VectorMath.AcosSin(c, out double sin);
            Assert.Equal(VectorMath.Acos(c), th);
            // Reference √((1 − c)(1 + c)), itself up to ~1 ulp off (measured worst of ours against it: 3 ulp, bound 4);
            // √(1 − c²) in double would lose all digits as |c| → 1, which is why the kernel avoids it.
            double want = Math.Sqrt((1 - c) * (1 + c));
            double err = want == 0 ? (sin == 0 ? 0 : double.PositiveInfinity) : Math.Abs(sin - want) / Ulp(want);
            worst = Math.Max(worst, err);
            if (Vector512.IsHardwareAccelerated && i % 8 == 7)
            {
                VectorMath.AcosSin(Vector512.Create(pts.AsSpan(i - 7, 8)), out var vs).CopyTo(buf);
                vs.CopyTo(sbuf);
                for (int j = 0; j < 8; j++)
                {
                    double tj = VectorMath.AcosSin(pts[i - 7 + j], out double sj);
                    Assert.Equal(tj, buf[j]);
                    Assert.Equal(sj, sbuf[j]);
                }
            }
        }
        Assert.True(worst <= 4, $"worst sine error {worst} ulp");
    }

    [Fact]
    public void AcosKeepsExactEndpointsAndSymmetry()
    {
        Assert.Equal(0.0, VectorMath.Acos(1.0));
        Assert.Equal(Math.PI, VectorMath.Acos(-1.0));
        Assert.Equal(Math.PI / 2, VectorMath.Acos(0.0));
        // acos(−c) = π − acos(c) holds by construction; check it on random points to 1 ulp of π.
        var rng = new Random(5);
        for (int i = 0; i < 10000; i++)
        {
            double c = rng.NextDouble();
            Assert.True(Math.Abs(VectorMath.Acos(-c) - (Math.PI - VectorMath.Acos(c))) <= Ulp(Math.PI));
        }
    }
}
