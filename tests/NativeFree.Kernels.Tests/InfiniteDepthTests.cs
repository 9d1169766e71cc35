using NativeFree.Kernels.InfiniteDepth;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

public class InfiniteDepthTests
{
    private static (Tensor<double> X, int[] Labels, Tensor<double> Xs) Sphere(int n, int t, int positives, int seed, bool orthant = false)
    {
        var x = TestUtil.RandomInputs(seed, n, 5).ToArray();
        var xs = TestUtil.RandomInputs(seed + 1, t, 5).ToArray();
        if (orthant) { for (int i = 0; i < x.Length; i++) x[i] = Math.Abs(x[i]); for (int i = 0; i < xs.Length; i++) xs[i] = Math.Abs(xs[i]); }
        foreach (var a in new[] { x, xs })
            for (int i = 0; i < a.Length / 5; i++)
            {
                double s = Math.Sqrt(Enumerable.Range(0, 5).Sum(c => a[i * 5 + c] * a[i * 5 + c]));
                for (int c = 0; c < 5; c++) a[i * 5 + c] /= s;
            }
        var labels = Enumerable.Range(0, n).Select(i => i < positives ? 1 : 0).ToArray();
        return (Tensor.FromArray(x, n, 5), labels, Tensor.FromArray(xs, t, 5));
    }

    [Fact]
    public void ReluDeepNtkMatchesTheRecursionAndIsAMajorityVote()
    {
        var relu = DualActivation.Relu();
        Assert.Equal(DepthRegime.MajorityVote, relu.Regime);
        // Depth 1 by hand: K₁ = φ̌(ρ) + ρ·φ̌′(ρ), normalised by K₁(1) = 2.
        double rho = 0.3, th = Math.Acos(rho);
        double k1 = ((Math.Sin(th) + (Math.PI - th) * rho) / Math.PI + rho * (Math.PI - th) / Math.PI) / 2;
        Assert.Equal(k1, DeepNtk.Normalized(relu, rho, 1), 1e-14);
        var (x, labels, xs) = Sphere(15, 8, 10, 31);
        var clf = new DeepKernelClassifier(relu, 2000, x, labels, 2);
        Assert.All(clf.Predict(xs), p => Assert.Equal(1, p)); // label 1 holds the majority (10 of 15)
        var shallow = new DeepKernelClassifier(relu, 2, x, labels, 2);
        Assert.Contains(0, shallow.Predict(xs)); // at small depth it is not a majority vote yet
    }

    [Fact]
    public void DualWithZeroSlopeAtZeroGivesNearestNeighbour()
    {
        var cubic = DualActivation.Hermite(0, 0, 0, 1);
        Assert.Equal(DepthRegime.NearestNeighbour, cubic.Regime);
        // Positive orthant: all correlations are positive, so "nearest" is simply the largest ρ
        // (an odd dual like ρ³ would otherwise also weigh antipodal points).
        var (x, _, xs) = Sphere(12, 10, 6, 41, orthant: true);
        var labels = Enumerable.Range(0, 12).Select(i => i % 3).ToArray();
        var clf = new DeepKernelClassifier(cubic, 4, x, labels, 3);
        var pred = clf.Predict(xs);
        var xa = x.ToArray(); var sa = xs.ToArray();
        for (int i = 0; i < 10; i++)
        {
            int best = 0; double bestDot = double.NegativeInfinity;
            for (int j = 0; j < 12; j++)
            {
                double d = 0; for (int c = 0; c < 5; c++) d += sa[i * 5 + c] * xa[j * 5 + c];
                if (d > bestDot) { bestDot = d; best = j; }
            }
            Assert.Equal(labels[best], pred[i]);
        }
    }

    [Fact]
    public void SingularRegimeKernelConcentratesOnTheDiagonal()
    {
        var dual = DualActivation.Hermite(0, 0.5, 0.5);
        Assert.Equal(DepthRegime.SingularKernel, dual.Regime);
        // The normalised deep kernel vanishes off the diagonal (φ̌′(1) > 1 grows the diagonal fastest),
        // more slowly for closer points: a kernel that becomes singular at ρ = 1.
        double k50n = DeepNtk.Normalized(dual, 0.99, 50), k50f = DeepNtk.Normalized(dual, 0.5, 50);
        double k200n = DeepNtk.Normalized(dual, 0.99, 200), k200f = DeepNtk.Normalized(dual, 0.5, 200);
        Assert.True(1 > k50n && k50n > k50f && k50f > 0, $"{k50n} {k50f}");
        Assert.True(k200n < k50n && k200f < k50f && k200n > k200f, $"{k200n} {k200f}");
        var (limit, depth) = DeepNtk.Limit(dual, 0.99, 1e-12, 100000);
        Assert.True(depth < 100000 && limit < 1e-10, $"{limit} at depth {depth}");
        // ReLU's normalised kernel has a non-zero limit off the diagonal instead.
        var (reluLimit, _) = DeepNtk.Limit(DualActivation.Relu(), 0.5, 1e-9, 1_000_000);
        Assert.True(reluLimit > 0.1, $"{reluLimit}");
        Assert.Throws<ArgumentException>(() => DualActivation.Hermite(0.5, 0.6));
    }
}
