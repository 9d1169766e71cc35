using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Cli;
using NativeFree.Cli.Commands;
using NativeFree.Kernels;
using NativeFree.Kernels.IO;
using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Prediction;
using NativeFree.Kernels.Spec;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// Covariance over initialisations of the gradient-descent ensemble at finite time t (Lee et al. 2019):
/// against a dense matrix exponential written here, the prior at t = 0, the t = ∞ formulas, and a Monte-Carlo
/// over linearised networks whose gradient flow is integrated step by step.
/// </summary>
public class FiniteTimeCovarianceTests : IDisposable
{
    private const string Spec = "dense(32, w_std=1.5, b_std=0.1) relu dense(32, w_std=1.5, b_std=0.1) relu dense(1, w_std=1.5, b_std=0.1)";
    private static readonly SequentialSpec Net = NetworkSpec.Parse(Spec);
    private const int N = 10, M = 4;

    private sealed record Blocks(double[,] Ktt, double[,] Kst, double[,] Kss, double[,] Ttt, double[,] Tst, double[,] Y)
    {
        public static Tensor<double> T(double[,] a)
        {
            int r = a.GetLength(0), c = a.GetLength(1);
            var t = Tensor.Zeros<double>([r, c]);
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[i, j] = a[i, j];
            return t;
        }
    }

    private static double[,] D(Tensor<double> t) { var r = new double[t.Dim(0), t.Dim(1)]; for (int i = 0; i < t.Dim(0); i++) for (int j = 0; j < t.Dim(1); j++) r[i, j] = t[i, j]; return r; }

    private static Blocks Problem()
    {
        var x = TestUtil.RandomInputs(31, N, 4);
        var xs = TestUtil.RandomInputs(32, M, 4);
        var tt = KernelFunction.Compute(Net, x);
        var st = KernelFunction.Compute(Net, xs, x);
        var ss = KernelFunction.Compute(Net, xs);
        return new Blocks(D(tt.Nngp!), D(st.Nngp!), D(ss.Nngp!), D(tt.Ntk!), D(st.Ntk!), D(TestUtil.RandomInputs(33, N, 1)));
    }

    // ---- naive dense oracles ----
    private static double[,] Mul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) { double s = 0; for (int p = 0; p < k; p++) s += a[i, p] * b[p, j]; c[i, j] = s; }
        return c;
    }
    private static double[,] Tr(double[,] a) { var r = new double[a.GetLength(1), a.GetLength(0)]; for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[j, i] = a[i, j]; return r; }
    private static double[,] Add(double[,] a, double[,] b, double s = 1) { var r = (double[,])a.Clone(); for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] += s * b[i, j]; return r; }
    private static double[,] Eye(int n) { var r = new double[n, n]; for (int i = 0; i < n; i++) r[i, i] = 1; return r; }

    /// <summary>e^{X} by scaling and squaring of a 30-term Taylor series (no eigendecomposition).</summary>
    private static double[,] Expm(double[,] x)
    {
        int n = x.GetLength(0);
        double norm = 0;
        for (int i = 0; i < n; i++) { double r = 0; for (int j = 0; j < n; j++) r += Math.Abs(x[i, j]); norm = Math.Max(norm, r); }
        int s = Math.Max(0, (int)Math.Ceiling(Math.Log2(norm / 0.25)));
        var y = (double[,])x.Clone();
        double f = Math.Pow(2, -s);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) y[i, j] *= f;
        var sum = Eye(n); var term = Eye(n);
        for (int k = 1; k <= 30; k++)
        {
            term = Mul(term, y);
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) term[i, j] /= k;
            sum = Add(sum, term);
        }
        for (int k = 0; k < s; k++) sum = Mul(sum, sum);
        return sum;
    }

    private static double[,] Regularized(double[,] k, double reg)
    {
        int n = k.GetLength(0);
        double tr = 0; for (int i = 0; i < n; i++) tr += k[i, i];
        var r = (double[,])k.Clone();
        for (int i = 0; i < n; i++) r[i, i] += reg * tr / n;
        return r;
    }

    /// <summary>K** − Θ*AK*ᵀ − K*AᵀΘ*ᵀ + Θ*AKAᵀΘ*ᵀ with A = Θ⁻¹(I − e^{−ηtΘ/n}), all dense.</summary>
    private static double[,] DenseCovariance(double[,] theta, double[,] thetaS, double[,] kMid, double[,] kS, double[,] kSS, double rate, double t)
    {
        int n = theta.GetLength(0);
        var e = new double[n, n];
        double a = rate * t / n;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) e[i, j] = -a * theta[i, j];
        var A = Mul(TestUtil.Inverse(theta), Add(Eye(n), Expm(e), -1));
        var p = Mul(thetaS, A);                      // Θ*·A
        var cross = Mul(p, Tr(kS));
        var cov = Add(Add(kSS, cross, -1), Tr(cross), -1);
        return Add(cov, Mul(Mul(p, kMid), Tr(p)));
    }

    private static void Close(double[,] expect, Tensor<double> actual, double rtol, string what)
    {
        double scale = 0;
        foreach (var v in expect) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expect.GetLength(0); i++)
            for (int j = 0; j < expect.GetLength(1); j++)
                Assert.True(Math.Abs(expect[i, j] - actual[i, j]) <= rtol * scale, $"{what}: [{i},{j}] expected {expect[i, j]}, got {actual[i, j]}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-3)]
    public void NtkCovarianceMatchesDenseMatrixExponential(double reg)
    {
        var b = Problem();
        const double rate = 0.7;
        var gd = new GradientDescentMse(Blocks.T(b.Ttt), Blocks.T(b.Y), rate, reg);
        var theta = Regularized(b.Ttt, reg);
        foreach (double t in new[] { 0.05, 0.4, 3.0, 25.0, 400.0 })
        {
            var actual = gd.NtkCovariance(Blocks.T(b.Tst), Blocks.T(b.Ktt), Blocks.T(b.Kst), Blocks.T(b.Kss), t);
            // diag_reg regularises Θ only; the NNGP of the initial outputs stays as it is (as GpInference.Ntk does).
            Close(DenseCovariance(theta, b.Tst, b.Ktt, b.Kst, b.Kss, rate, t), actual, 1e-8, $"ntk t={t} reg={reg}");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-3)]
    public void NngpCovarianceMatchesDenseMatrixExponential(double reg)
    {
        var b = Problem();
        const double rate = 1.3;
        var gd = new GradientDescentMse(Blocks.T(b.Ktt), Blocks.T(b.Y), rate, reg);
        var k = Regularized(b.Ktt, reg);
        foreach (double t in new[] { 0.05, 0.4, 3.0, 25.0, 400.0 })
        {
            var actual = gd.NngpCovariance(Blocks.T(b.Kst), Blocks.T(b.Kss), t);
            // Θ = K; diag_reg acts as observation noise on the initial outputs too, so t = ∞ is the GP posterior.
            Close(DenseCovariance(k, b.Kst, k, b.Kst, b.Kss, rate, t), actual, 1e-8, $"nngp t={t} reg={reg}");
        }
    }

    [Fact]
    public void AtTimeZeroTheCovarianceIsThePrior()
    {
        var b = Problem();
        var ntk = new GradientDescentMse(Blocks.T(b.Ttt), Blocks.T(b.Y));
        var nngp = new GradientDescentMse(Blocks.T(b.Ktt), Blocks.T(b.Y));
        Close(b.Kss, ntk.NtkCovariance(Blocks.T(b.Tst), Blocks.T(b.Ktt), Blocks.T(b.Kst), Blocks.T(b.Kss), 0), 1e-14, "ntk t=0");
        Close(b.Kss, nngp.NngpCovariance(Blocks.T(b.Kst), Blocks.T(b.Kss), 0), 1e-14, "nngp t=0");
    }

    [Fact]
    public void AtLargeTimeTheCovarianceConvergesToTheInfiniteTimeFormulas()
    {
        var b = Problem();
        var (tt, ts, kt, ks, kss, y) = (Blocks.T(b.Ttt), Blocks.T(b.Tst), Blocks.T(b.Ktt), Blocks.T(b.Kst), Blocks.T(b.Kss), Blocks.T(b.Y));
        var ntk = new GradientDescentMse(tt, y);
        var nngp = new GradientDescentMse(kt, y);
        var (_, ntkInf) = GpInference.Ntk(kt, tt, y, ks, ts, kss);
        var (_, gpInf) = GpInference.Nngp(kt, y, ks, kss);
        Close(D(ntkInf), ntk.NtkCovariance(ts, kt, ks, kss, double.PositiveInfinity), 1e-8, "ntk t=inf");
        Close(D(gpInf), nngp.NngpCovariance(ks, kss, double.PositiveInfinity), 1e-8, "nngp t=inf");
        double tMin = 40 * N / ntk.Eigenvalues[0]; // e^{−λt/n} < e^{−40} for every eigenvalue
        Close(D(ntkInf), ntk.NtkCovariance(ts, kt, ks, kss, tMin), 1e-7, "ntk t large");
        Close(D(gpInf), nngp.NngpCovariance(ks, kss, 40 * N / nngp.Eigenvalues[0]), 1e-7, "nngp t large");
        // Half way the variance lies strictly between the prior and the t = ∞ value.
        var mid = ntk.NtkCovariance(ts, kt, ks, kss, 1.0);
        for (int i = 0; i < M; i++)
            Assert.True(mid[i, i] < kss[i, i] && mid[i, i] > ntkInf[i, i] - 1e-12, $"variance {i}: {mid[i, i]} not in ({ntkInf[i, i]}, {kss[i, i]})");
    }

    [Fact]
    public void MonteCarloOverLinearisedNetworksMatchesTheNtkCovariance()
    {
        // Initial outputs f₀ ~ N(0, K) jointly on train and test points; each sample follows the linearised gradient
        // flow ḟ(X) = −(η/n)Θ(f(X) − y), ḟ(X*) = −(η/n)Θ*(f(X) − y), integrated by RK4 — no matrix exponential.
        var b = Problem();
        int n = N, m = M, q = n + m;
        const double rate = 1, t = 2.0;
        var joint = new double[q, q];
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++)
                joint[i, j] = i < n && j < n ? b.Ktt[i, j] : i >= n && j >= n ? b.Kss[i - n, j - n] : i >= n ? b.Kst[i - n, j] : b.Kst[j - n, i];
        var l = new double[q, q]; // naive Cholesky, tiny jitter
        for (int j = 0; j < q; j++)
        {
            double s = joint[j, j] + 1e-10;
            for (int k = 0; k < j; k++) s -= l[j, k] * l[j, k];
            l[j, j] = Math.Sqrt(s);
            for (int i = j + 1; i < q; i++)
            {
                double r = joint[i, j];
                for (int k = 0; k < j; k++) r -= l[i, k] * l[j, k];
                l[i, j] = r / l[j, j];
            }
        }
        double lamMax = 0; // power iteration (over-estimated by 10 %) for the RK4 step
        var pv = Enumerable.Repeat(1.0, n).ToArray();
        for (int it = 0; it < 100; it++)
        {
            var w = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) w[i] += b.Ttt[i, j] * pv[j];
            lamMax = Math.Sqrt(w.Sum(v => v * v));
            pv = w.Select(v => v / lamMax).ToArray();
        }
        int steps = (int)Math.Ceiling(t * rate / n * 1.1 * lamMax / 0.5); // RK4 error ~ (hλ)⁵/120 per step: far below the MC noise
        double h = t / steps, c = rate / n;
        const int samples = 4000;
        var rng = new Random(777);
        var sum = new double[m]; var sum2 = new double[m, m];
        var f = new double[q]; var z = new double[q];
        var k1 = new double[q]; var k2 = new double[q]; var k3 = new double[q]; var k4 = new double[q]; var tmp = new double[q];
        void Rhs(double[] x, double[] dx)
        {
            for (int i = 0; i < q; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += (i < n ? b.Ttt[i, j] : b.Tst[i - n, j]) * (x[j] - b.Y[j, 0]);
                dx[i] = -c * s;
            }
        }
        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < q; i++) { double u = 1 - rng.NextDouble(), v = rng.NextDouble(); z[i] = Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v); }
            for (int i = 0; i < q; i++) { double r = 0; for (int k = 0; k <= i; k++) r += l[i, k] * z[k]; f[i] = r; }
            for (int st = 0; st < steps; st++)
            {
                Rhs(f, k1);
                for (int i = 0; i < q; i++) tmp[i] = f[i] + 0.5 * h * k1[i]; Rhs(tmp, k2);
                for (int i = 0; i < q; i++) tmp[i] = f[i] + 0.5 * h * k2[i]; Rhs(tmp, k3);
                for (int i = 0; i < q; i++) tmp[i] = f[i] + h * k3[i]; Rhs(tmp, k4);
                for (int i = 0; i < q; i++) f[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
            for (int i = 0; i < m; i++) { sum[i] += f[n + i]; for (int j = 0; j < m; j++) sum2[i, j] += f[n + i] * f[n + j]; }
        }
        var gd = new GradientDescentMse(Blocks.T(b.Ttt), Blocks.T(b.Y), rate);
        var cov = gd.NtkCovariance(Blocks.T(b.Tst), Blocks.T(b.Ktt), Blocks.T(b.Kst), Blocks.T(b.Kss), t);
        var mean = gd.Mean(Blocks.T(b.Tst), t);
        for (int i = 0; i < m; i++)
        {
            double mu = sum[i] / samples;
            Assert.True(Math.Abs(mu - mean[i, 0]) < 5 * Math.Sqrt(cov[i, i] / samples), $"mean {i}: MC {mu} vs {mean[i, 0]}");
            for (int j = 0; j < m; j++)
            {
                double mc = sum2[i, j] / samples - mu * (sum[j] / samples);
                // Standard error of a sample covariance of Gaussians: √((σᵢ²σⱼ² + σᵢⱼ²)/S).
                double se = Math.Sqrt((cov[i, i] * cov[j, j] + cov[i, j] * cov[i, j]) / samples);
                Assert.True(Math.Abs(mc - cov[i, j]) < 5 * se, $"cov [{i},{j}]: MC {mc} vs {cov[i, j]} ± {se}");
            }
            // The MC must tell this apart from the prior (t = 0): otherwise the check is empty.
            Assert.True(Math.Abs(b.Kss[i, i] - cov[i, i]) > 10 * Math.Sqrt(2.0 / samples) * cov[i, i], $"variance {i} barely moved from the prior");
        }
    }

    // ---- CLI ----
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-finite-var").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string Npy(string name, Tensor<double> t)
    {
        var path = Path.Combine(_dir, name);
        KernelNpyInput.Write(path, t.ToArray(), t.ShapeArray);
        return path;
    }

    [Fact]
    public void PredictWritesTheFiniteTimeVariance()
    {
        var x = TestUtil.RandomInputs(34, N, 4);
        var xs = TestUtil.RandomInputs(35, M, 4);
        var y = TestUtil.RandomInputs(36, N, 1);
        string xa = Npy("x.npy", x), xsa = Npy("xs.npy", xs), ya = Npy("y.npy", y), mo = Path.Combine(_dir, "m.npy"), vo = Path.Combine(_dir, "v.npy");
        var tt = KernelFunction.Compute(Net, x);
        var st = KernelFunction.Compute(Net, xs, x);
        var ss = KernelFunction.Compute(Net, xs);
        foreach (var kind in new[] { "ntk", "nngp" })
            foreach (var t in new[] { "0", "1.5" })
            {
                var o = new StringWriter(); var e = new StringWriter();
                int code = NativeFree.Cli.Cli.Run(["predict", "--net", Spec, "--x-train", xa, "--y-train", ya, "--x-test", xsa, "--kind", kind, "--t", t, "--out", mo, "--var", vo],
                    [new PredictCommand()], o, e);
                Assert.True(code == 0, e.ToString());
                double tv = double.Parse(t, System.Globalization.CultureInfo.InvariantCulture);
                var gd = new GradientDescentMse(kind == "ntk" ? tt.Ntk! : tt.Nngp!, y);
                var cov = kind == "ntk" ? gd.NtkCovariance(st.Ntk!, tt.Nngp!, st.Nngp!, ss.Nngp!, tv) : gd.NngpCovariance(st.Nngp!, ss.Nngp!, tv);
                var (v, shape) = KernelNpyInput.Read(vo);
                Assert.Equal([M], shape);
                for (int i = 0; i < M; i++)
                {
                    Assert.Equal(cov[i, i], v[i], 1e-12);
                    if (t == "0") Assert.Equal(ss.Nngp![i, i], v[i], 1e-12); // the prior
                    else Assert.True(v[i] < ss.Nngp![i, i], $"{kind}: training must reduce the variance at {i}");
                }
                var mean = KernelNpyInput.Read(mo).Data;
                var expect = gd.Mean(kind == "ntk" ? st.Ntk! : st.Nngp!, tv).ToArray();
                for (int i = 0; i < M; i++) Assert.Equal(expect[i], mean[i], 1e-12);
            }
    }
}
