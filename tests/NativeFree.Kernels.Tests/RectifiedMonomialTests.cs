using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Spec;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>max(x, 0)ⁿ of any degree: the arc-cosine kernel of order n against quadrature and Monte-Carlo.</summary>
public class RectifiedMonomialTests
{
    public static TheoryData<int> Degrees => new() { 0, 1, 2, 3, 4, 5 };

    private static SequentialSpec Net(Activation a) => Stax.Serial(Stax.Dense(16, 1.3, 0.2), Stax.Transform(a), Stax.Dense(4, 0.9, 0.1));

    [Theory]
    [MemberData(nameof(Degrees))]
    public void AgreesWithQuadratureSplitAtTheKink(int n)
    {
        var act = new RectifiedMonomial(n);
        var x1 = TestUtil.RandomInputs(101, 5, 3);
        var x2 = TestUtil.RandomInputs(102, 4, 3);
        var closed = KernelFunction.Compute(Net(act), x1, x2);
        // The oracle integrates φ = max(x,0)ⁿ and φ′ = n·max(x,0)ⁿ⁻¹ pointwise: it never sees Jₙ.
        var quad = KernelFunction.Compute(Net(QuadratureActivation.Of(act, 48, QuadratureRule.SplitAtZero)), x1, x2);
        double e1 = TestUtil.RelFrobenius(closed.Nngp!.ToArray(), quad.Nngp!.ToArray());
        double e2 = TestUtil.RelFrobenius(closed.Ntk!.ToArray(), quad.Ntk!.ToArray());
        Assert.True(e1 < 1e-9, $"degree {n}: NNGP relative error {e1}");
        Assert.True(e2 < 1e-9, $"degree {n}: NTK relative error {e2}");
    }

    [Theory]
    [MemberData(nameof(Degrees))]
    public void DualAgreesWithMonteCarloOfBivariateNormals(int n)
    {
        // (k11, k22, k12): positive, negative, near-parallel and orthogonal correlations.
        (double K11, double K22, double K12)[] cases = [(1.0, 1.0, 0.6), (0.7, 1.6, -0.5), (2.0, 0.5, 0.99), (1.3, 0.8, 0.0)];
        var act = new RectifiedMonomial(n);
        var rng = new Random(4242 + n);
        const int samples = 400_000;
        foreach (var (k11, k22, k12) in cases)
        {
            double s1 = Math.Sqrt(k11), a = k12 / s1, b = Math.Sqrt(k22 - a * a);
            double sum = 0, sum2 = 0, dsum = 0, dsum2 = 0;
            for (int s = 0; s < samples; s++)
            {
                // Box–Muller with System.Random: independent of the library's sampler.
                double r = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())), ang = 2 * Math.PI * rng.NextDouble();
                double z1 = r * Math.Cos(ang), z2 = r * Math.Sin(ang);
                double u = s1 * z1, v = a * z1 + b * z2;
                double p = (u > 0 ? Math.Pow(u, n) : 0) * (v > 0 ? Math.Pow(v, n) : 0);
                double d = n == 0 ? 0 : n * n * (u > 0 ? Math.Pow(u, n - 1) : 0) * (v > 0 ? Math.Pow(v, n - 1) : 0);
                sum += p; sum2 += p * p; dsum += d; dsum2 += d * d;
            }
            double mean = sum / samples, se = Math.Sqrt(Math.Max(sum2 / samples - mean * mean, 0) / samples);
            double dmean = dsum / samples, dse = Math.Sqrt(Math.Max(dsum2 / samples - dmean * dmean, 0) / samples);
            double[] k12s = [k12], ntk = [1.0];
            act.Dual([k11], [k22], k12s, ntk);
            Assert.True(Math.Abs(k12s[0] - mean) < 5 * se + 1e-12, $"degree {n} {(k11, k22, k12)}: E[φφ] {k12s[0]} vs MC {mean} ± {se}");
            Assert.True(Math.Abs(ntk[0] - dmean) < 5 * dse + 1e-12, $"degree {n} {(k11, k22, k12)}: E[φ′φ′] {ntk[0]} vs MC {dmean} ± {dse}");
        }
    }

    [Fact]
    public void RecursionReproducesChoAndSaulsClosedForms()
    {
        for (double th = 0; th <= Math.PI; th += Math.PI / 37)
        {
            double s = Math.Sin(th), c = Math.Cos(th);
            Assert.Equal(Math.PI - th, ArcCosine.J(0, th), 1e-14);
            Assert.Equal(s + (Math.PI - th) * c, ArcCosine.J(1, th), 1e-14);
            Assert.Equal(3 * s * c + (Math.PI - th) * (1 + 2 * c * c), ArcCosine.J(2, th), 1e-13);
        }
        // θ = 0: Jₙ(0) = (2n − 1)!!·π, since E[max(u,0)²ⁿ] = (2n − 1)!!/2 for a standard normal u.
        double dfact = 1;
        for (int n = 1; n <= 20; n++)
        {
            dfact *= 2 * n - 1;
            Assert.Equal(1.0, ArcCosine.J(n, 0) / (dfact * Math.PI), 12);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void FiniteAtZeroInputsAndPositiveSemidefinite(int n)
    {
        var x = TestUtil.RandomInputs(103, 10, 4);
        for (int c = 0; c < 4; c++) x[0, c] = 0;
        var net = Stax.Serial(Stax.Dense(8, 1.2, null), Stax.RectifiedMonomial(n), Stax.Dense(8, 1.2, null), Stax.RectifiedMonomial(n), Stax.Dense(1, 1, null));
        var r = KernelFunction.Compute(net, x);
        foreach (var k in new[] { r.Nngp!, r.Ntk! })
        {
            var a = k.ToArray();
            Assert.All(a, v => Assert.True(double.IsFinite(v), $"degree {n}: {v}"));
            var vals = NativeFree.Tensors.LinearAlgebra.Linalg.Eigh(Tensor.FromArray(a, 10, 10)).Eigenvalues.ToArray();
            Assert.True(vals[0] >= -1e-9 * Math.Max(vals.Max(Math.Abs), 1), $"degree {n}: min eigenvalue {vals[0]}");
        }
    }

    [Fact]
    public void SpecAcceptsAnyDegreeAndNamesBadOnes()
    {
        var x = TestUtil.RandomInputs(104, 4, 3);
        var parsed = KernelFunction.Compute(NetworkSpec.Parse("dense(8, w_std=1.3) rectified_monomial(4) dense(1)"), x);
        var built = KernelFunction.Compute(Stax.Serial(Stax.Dense(8, 1.3, 0), Stax.RectifiedMonomial(4), Stax.Dense(1)), x);
        Assert.Equal(built.Ntk!.ToArray(), parsed.Ntk!.ToArray());
        var e = Assert.Throws<ArgumentException>(() => NetworkSpec.Parse("dense(8) rectified_monomial(-1) dense(1)"));
        Assert.Contains("column 29:", e.Message); // the bad value itself
        Assert.Contains("degree must be in 0..", e.Message);
    }
}
