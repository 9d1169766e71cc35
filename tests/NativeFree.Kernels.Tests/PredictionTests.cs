using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Internal;
using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Prediction;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

public class PredictionTests
{
    private static readonly SequentialSpec Net = Stax.Serial(Stax.Dense(64, 1.5, 0.1), Stax.Relu(), Stax.Dense(64, 1.5, 0.1), Stax.Relu(), Stax.Dense(1, 1.5, 0.1));

    private static (Tensor<double> Ktt, Tensor<double> Kst, Tensor<double> Kss, Tensor<double> Ntt, Tensor<double> Nst, Tensor<double> Y) Problem(int n = 12, int t = 5)
    {
        var x = TestUtil.RandomInputs(21, n, 4);
        var xs = TestUtil.RandomInputs(22, t, 4);
        var y = TestUtil.RandomInputs(23, n, 2);
        var tt = KernelFunction.Compute(Net, x);
        var st = KernelFunction.Compute(Net, xs, x);
        var ss = KernelFunction.Compute(Net, xs);
        return (tt.Nngp!, st.Nngp!, ss.Nngp!, tt.Ntk!, st.Ntk!, y);
    }

    private static double[,] Mul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) { double s = 0; for (int p = 0; p < k; p++) s += a[i, p] * b[p, j]; c[i, j] = s; }
        return c;
    }

    private static double[,] D(Tensor<double> t) { var r = new double[t.Dim(0), t.Dim(1)]; for (int i = 0; i < t.Dim(0); i++) for (int j = 0; j < t.Dim(1); j++) r[i, j] = t[i, j]; return r; }
    private static double[,] T(double[,] a) { var r = new double[a.GetLength(1), a.GetLength(0)]; for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[j, i] = a[i, j]; return r; }

    [Fact]
    public void InfiniteTimePredictionsInterpolateTrainingTargets()
    {
        var (ktt, _, _, ntt, _, y) = Problem();
        foreach (var k in new[] { ktt, ntt })
        {
            var gd = new GradientDescentMse(k, y);
            var f = gd.Mean(k, double.PositiveInfinity);
            for (int i = 0; i < y.Dim(0); i++) for (int c = 0; c < 2; c++) Assert.Equal(y[i, c], f[i, c], 1e-7);
            var reg = new KernelRegression(k, y);
            var g = reg.Mean(k);
            for (int i = 0; i < y.Dim(0); i++) for (int c = 0; c < 2; c++) Assert.Equal(y[i, c], g[i, c], 1e-7);
        }
    }

    [Fact]
    public void FiniteTimeMeanMatchesRungeKuttaIntegrationOfGradientFlow()
    {
        var (_, _, _, ntt, nst, y) = Problem();
        int n = 12, t = 5, m = 2;
        double eta = 0.7, time = 3.0;
        var gd = new GradientDescentMse(ntt, y, eta);
        var got = gd.Mean(nst, time);
        var trainGot = gd.TrainMean(time);
        // Oracle: integrate df/dt = −η/n·K(f − y) for train, df*/dt = −η/n·K*(f − y), f(0) = 0, by classical RK4
        // on the stacked state [f; f*].
        int steps = 4000; double h = time / steps;
        var K = D(ntt); var Ks = D(nst); var Y = D(y);
        var state = new double[(n + t) * m];
        double[] Deriv(double[] s)
        {
            var d = new double[s.Length];
            for (int i = 0; i < n + t; i++)
                for (int c = 0; c < m; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += (i < n ? K[i, j] : Ks[i - n, j]) * (s[j * m + c] - Y[j, c]);
                    d[i * m + c] = -eta / n * acc;
                }
            return d;
        }
        double[] Add(double[] a, double[] b, double f) => a.Select((v, i) => v + f * b[i]).ToArray();
        for (int s = 0; s < steps; s++)
        {
            var k1 = Deriv(state); var k2 = Deriv(Add(state, k1, h / 2)); var k3 = Deriv(Add(state, k2, h / 2)); var k4 = Deriv(Add(state, k3, h));
            for (int i = 0; i < state.Length; i++) state[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
        var f = new double[n, m]; var fs = new double[t, m];
        for (int i = 0; i < n; i++) for (int c = 0; c < m; c++) f[i, c] = state[i * m + c];
        for (int i = 0; i < t; i++) for (int c = 0; c < m; c++) fs[i, c] = state[(n + i) * m + c];
        for (int i = 0; i < t; i++) for (int c = 0; c < m; c++) Assert.Equal(fs[i, c], got[i, c], 1e-8);
        for (int i = 0; i < n; i++) for (int c = 0; c < m; c++) Assert.Equal(f[i, c], trainGot[i, c], 1e-8);
        var zero = gd.Mean(nst, 0);
        Assert.All(zero.ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void NngpPosteriorMatchesNaiveInverse()
    {
        var (ktt, kst, kss, _, _, y) = Problem();
        var (mean, cov) = GpInference.Nngp(ktt, y, kst, kss, 1e-3, DiagonalRegularization.Absolute);
        var K = D(ktt); for (int i = 0; i < 12; i++) K[i, i] += 1e-3;
        var inv = TestUtil.Inverse(Tensor.FromArray(K));
        var expectMean = Mul(Mul(D(kst), inv), D(y));
        var expectCov = Mul(Mul(D(kst), inv), T(D(kst)));
        for (int i = 0; i < 5; i++)
        {
            for (int c = 0; c < 2; c++) Assert.Equal(expectMean[i, c], mean[i, c], 1e-8);
            for (int j = 0; j < 5; j++) Assert.Equal(kss[i, j] - expectCov[i, j], cov[i, j], 1e-8);
        }
    }

    [Fact]
    public void NtkPosteriorMatchesFormulaAndReducesToNngpWhenKernelsAgree()
    {
        var (ktt, kst, kss, ntt, nst, y) = Problem();
        var (mean, cov) = GpInference.Ntk(ktt, ntt, y, kst, nst, kss);
        var thInv = TestUtil.Inverse(ntt);
        var A = Mul(thInv, T(D(nst)));                          // Θ⁻¹Θ*ᵀ
        var expect = Mul(T(A), Mul(D(ktt), A));
        var cross = Mul(D(kst), A);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(kss[i, j] + expect[i, j] - cross[i, j] - cross[j, i], cov[i, j], 1e-6);
        var mExpect = Mul(Mul(D(nst), thInv), D(y));
        for (int i = 0; i < 5; i++) for (int c = 0; c < 2; c++) Assert.Equal(mExpect[i, c], mean[i, c], 1e-6);
        // With Θ = K the ensemble covariance is the GP posterior covariance.
        var (_, same) = GpInference.Ntk(ktt, ktt, y, kst, kst, kss);
        var (_, gp) = GpInference.Nngp(ktt, y, kst, kss);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(gp[i, j], same[i, j], 1e-6);
    }

    [Fact]
    public void StudentTMeanEqualsNngpMeanAndScaleFollowsPosterior()
    {
        var (ktt, kst, kss, _, _, y) = Problem();
        double alpha = 3, beta = 1.5;
        var st = StudentTProcess.Fit(ktt, y, kst, kss, alpha, beta);
        var (mean, cov) = GpInference.Nngp(ktt, y, kst, kss);
        Assert.Equal(mean.ToArray(), st.Mean.ToArray());
        var inv = TestUtil.Inverse(ktt);
        double q = 0;
        var Y = D(y);
        var iy = Mul(inv, Y);
        for (int i = 0; i < 12; i++) for (int c = 0; c < 2; c++) q += Y[i, c] * iy[i, c];
        double a = alpha + 12 * 2 / 2.0, b = beta + q / 2;
        Assert.Equal(2 * a, st.DegreesOfFreedom);
        Assert.Equal(b, st.PosteriorBeta, 1e-6);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(b / a * cov[i, j], st.Scale[i, j], 1e-9);
        var v = st.Variance();
        for (int i = 0; i < 5; i++) Assert.Equal(st.Scale[i, i] * 2 * a / (2 * a - 2), v[i], 1e-12);
    }

    [Fact]
    public void NonPositiveDefiniteTrainKernelSuggestsDiagReg()
    {
        var x = TestUtil.RandomInputs(24, 3, 4);
        var dup = Tensor.Zeros<double>(4, 4);
        for (int i = 0; i < 4; i++) for (int c = 0; c < 4; c++) dup[i, c] = x[Math.Min(i, 2), c]; // rows 2 and 3 identical
        var k = KernelFunction.Compute(Net, dup).Nngp!;
        var y = Tensor.Ones<double>(4, 1);
        var e = Assert.Throws<ArgumentException>(() => new KernelRegression(k, y));
        Assert.Contains("diag_reg", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new GradientDescentMse(k, y).Mean(k, double.PositiveInfinity));
        Assert.Contains("diag_reg", e2.Message);
        // With regularisation it works and stays finite.
        var ok = new KernelRegression(k, y, 1e-6).Mean(k);
        Assert.All(ok.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void NonFiniteInputsAreRejected()
    {
        var (ktt, _, _, _, _, y) = Problem();
        var bad = Tensor.FromArray(ktt.ToArray(), 12, 12);
        bad[3, 4] = double.NaN;
        Assert.Throws<ArgumentException>(() => new KernelRegression(bad, y));
        var ybad = Tensor.FromArray(y.ToArray(), 12, 2);
        ybad[0, 0] = double.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => new GradientDescentMse(ktt, ybad));
        var x = TestUtil.RandomInputs(25, 3, 4);
        x[1, 1] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => KernelFunction.Compute(Net, x));
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void OneHotRegressionClassifiesSeparatedBlobs()
    {
        int n = 40;
        var x = Tensor.Zeros<double>(n, 3);
        var labels = new int[n];
        var s = new Rng(26);
        var noise = new double[n * 3]; s.FillNormal<double>(noise, 0, 1);
        for (int i = 0; i < n; i++) { labels[i] = i % 3; for (int c = 0; c < 3; c++) x[i, c] = (c == labels[i] ? 3 : 0) + 0.4 * noise[i * 3 + c]; }
        var xs = Tensor.Zeros<double>(9, 3);
        var testLabels = new int[9];
        var noise2 = new double[27]; s.FillNormal<double>(noise2, 0, 1);
        for (int i = 0; i < 9; i++) { testLabels[i] = i % 3; for (int c = 0; c < 3; c++) xs[i, c] = (c == testLabels[i] ? 3 : 0) + 0.4 * noise2[i * 3 + c]; }
        var ktt = KernelFunction.Compute(Net, x).Ntk!;
        var kst = KernelFunction.Compute(Net, xs, x).Ntk!;
        var pred = OneHot.Decode(new KernelRegression(ktt, OneHot.Encode(labels, 3), 1e-4).Mean(kst));
        Assert.Equal(testLabels, pred);
    }

    [Fact]
    public void EigenReconstructsAndGaussHermiteIntegratesMoments()
    {
        int n = 30;
        var s = new Rng(27);
        var b = new double[n * n]; s.FillNormal<double>(b, 0, 1);
        var a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
        var eig = NativeFree.Tensors.LinearAlgebra.Linalg.Eigh(Tensor.FromArray(a, n, n));
        var (vals, vecs) = (eig.Eigenvalues.ToArray(), eig.Eigenvectors.ToArray());
        for (int i = 1; i < n; i++) Assert.True(vals[i] >= vals[i - 1]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double r = 0, o = 0;
                for (int k = 0; k < n; k++) { r += vecs[i * n + k] * vals[k] * vecs[j * n + k]; o += vecs[k * n + i] * vecs[k * n + j]; }
                Assert.Equal(a[i * n + j], r, 1e-10);
                Assert.Equal(i == j ? 1 : 0, o, 1e-12);
            }
        var (z, w) = GaussHermite.Normal(20);
        double[] moments = [1, 0, 1, 0, 3, 0, 15, 0, 105];
        for (int p = 0; p < moments.Length; p++)
            Assert.Equal(moments[p], z.Zip(w, (zi, wi) => wi * Math.Pow(zi, p)).Sum(), 1e-10);
    }

    [Fact]
    public void CholeskySolvesAgainstNaiveInverse()
    {
        var (ktt, _, _, _, _, y) = Problem();
        var L = PredictUtil.Factor(ktt.ToArray(), 12, "train kernel");
        var x = PredictUtil.CholeskySolve(L, y.ToArray(), 2);
        var expect = Mul(TestUtil.Inverse(ktt), D(y));
        for (int i = 0; i < 12; i++) for (int c = 0; c < 2; c++) Assert.Equal(expect[i, c], x[i * 2 + c], 1e-7);
    }
}
