using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.LinearAlgebra;

public class EighTests
{
    private static void AssertDecomposes(Tensor<double> a, EighResult<double> r, double tolFactor = 1e-12)
    {
        int n = a.Shape[0];
        var lam = r.Eigenvalues.ToArray();
        for (int i = 1; i < n; i++) Assert.True(lam[i - 1] <= lam[i], "eigenvalues are not ascending");
        if (n > 160) { AssertDecomposesByProbes(a, r, tolFactor); return; }
        var A = Dense.Of(a);
        var V = Dense.Of(r.Eigenvectors);
        double normA = Math.Max(Dense.Frobenius(A), 1e-300);
        var VL = (double[,])V.Clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) VL[i, j] *= lam[j];
        double recon = Dense.MaxAbsDiff(Dense.Mul(VL, V, transB: true), A);
        Assert.True(recon <= tolFactor * n * normA, $"‖A − VΛVᵀ‖ = {recon} for n = {n}");
        var vtv = Dense.Mul(Dense.T(V), V);
        double orth = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) orth = Math.Max(orth, Math.Abs(vtv[i, j] - (i == j ? 1 : 0)));
        Assert.True(orth <= tolFactor * n, $"‖VᵀV − I‖ = {orth} for n = {n}");
    }

    // Freivalds-style check for large n: for random x, A·x = V·Λ·(Vᵀx) and Vᵀ(V·x) = x. O(n²) per probe;
    // a wrong decomposition passes a Gaussian probe with probability zero.
    private static void AssertDecomposesByProbes(Tensor<double> a, EighResult<double> r, double tolFactor)
    {
        int n = a.Shape[0];
        var A = a.ToArray(); var V = r.Eigenvectors.ToArray(); var lam = r.Eigenvalues.ToArray();
        double normA = Math.Sqrt(A.Sum(v => v * v));
        double[] MatVec(double[] m, double[] x, bool trans)
        {
            var y = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) y[trans ? j : i] += m[i * n + j] * x[trans ? i : j];
            return y;
        }
        var rng = new Rng(424242);
        for (int probe = 0; probe < 3; probe++)
        {
            var x = rng.StandardNormal<double>(n).ToArray();
            double xn = Math.Sqrt(x.Sum(v => v * v));
            var ax = MatVec(A, x, false);
            var vtx = MatVec(V, x, true);
            for (int i = 0; i < n; i++) vtx[i] *= lam[i];
            var vlvtx = MatVec(V, vtx, false);
            double recon = Math.Sqrt(ax.Zip(vlvtx, (p, q) => (p - q) * (p - q)).Sum());
            Assert.True(recon <= tolFactor * n * normA * xn, $"‖(A − VΛVᵀ)x‖ = {recon} for n = {n}");
            var back = MatVec(V, MatVec(V, x, false), true);
            double orth = Math.Sqrt(back.Zip(x, (p, q) => (p - q) * (p - q)).Sum());
            Assert.True(orth <= tolFactor * n * xn, $"‖(VᵀV − I)x‖ = {orth} for n = {n}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(65)]
    [InlineData(150)]
    [InlineData(200)]
    [InlineData(300)]
    public void RandomSymmetricMatricesDecompose(int n)
    {
        var a = Dense.RandomSymmetric(n, (ulong)n);
        AssertDecomposes(a, Linalg.Eigh(a));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(100)]
    public void LaplacianEigenvaluesMatchTheClosedForm(int n)
    {
        // tridiag(-1, 2, -1): λₖ = 2 − 2cos(kπ/(n+1)), k = 1..n, eigenvectors sin(jkπ/(n+1)).
        var a = Tensor.Zeros<double>(n, n);
        for (int i = 0; i < n; i++)
        {
            a[i, i] = 2;
            if (i > 0) { a[i, i - 1] = -1; a[i - 1, i] = -1; }
        }
        var r = Linalg.Eigh(a);
        var lam = r.Eigenvalues.ToArray();
        for (int k = 1; k <= n; k++) Assert.Equal(2 - 2 * Math.Cos(k * Math.PI / (n + 1)), lam[k - 1], 12);
        // First eigenvector ∝ sin(jπ/(n+1)), up to sign.
        double norm = Math.Sqrt(Enumerable.Range(1, n).Sum(j => Math.Pow(Math.Sin(j * Math.PI / (n + 1)), 2)));
        double sign = Math.Sign(r.Eigenvectors[0, 0]);
        for (int j = 1; j <= n; j++) Assert.Equal(Math.Sin(j * Math.PI / (n + 1)) / norm, sign * r.Eigenvectors[j - 1, 0], 10);
        AssertDecomposes(a, r);
    }

    [Fact]
    public void RepeatedEigenvaluesKeepAnOrthonormalBasis()
    {
        int n = 12;
        var q = Dense.RandomOrthogonal(n, 4);
        double[] lam = [1, 1, 1, 1, 2, 2, 2, 5, 5, -3, -3, 0];
        var ql = (double[,])q.Clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) ql[i, j] *= lam[j];
        var A = Dense.Mul(ql, q, transB: true);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) A[i, j] = A[j, i] = 0.5 * (A[i, j] + A[j, i]);
        var a = Dense.ToTensor(A);
        var r = Linalg.Eigh(a);
        var sorted = lam.OrderBy(x => x).ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(sorted[i], r.Eigenvalues[i], 12);
        AssertDecomposes(a, r);
    }

    [Fact]
    public void DiagonalAndTinyMatrices()
    {
        var d = Tensor.FromArray(new double[,] { { 3, 0, 0 }, { 0, -1, 0 }, { 0, 0, 2 } });
        var r = Linalg.Eigh(d);
        Assert.Equal(new double[] { -1, 2, 3 }, r.Eigenvalues.ToArray());
        Assert.Equal(1.0, Math.Abs(r.Eigenvectors[1, 0]));
        Assert.Equal(1.0, Math.Abs(r.Eigenvectors[2, 1]));
        Assert.Equal(1.0, Math.Abs(r.Eigenvectors[0, 2]));
        var one = Linalg.Eigh(Tensor.FromArray(new double[,] { { -4.5 } }));
        Assert.Equal(-4.5, one.Eigenvalues[0]);
        Assert.Equal(1.0, Math.Abs(one.Eigenvectors[0, 0]));
        Assert.Equal(0, Linalg.Eigh(Tensor.Zeros<double>(0, 0)).Eigenvalues.Length);
        var zero = Linalg.Eigh(Tensor.Zeros<double>(4, 4));
        Assert.All(zero.Eigenvalues.ToArray(), v => Assert.Equal(0.0, v));
        AssertDecomposes(Tensor.Zeros<double>(4, 4), zero);
        // 2×2 closed form: [[a, b], [b, c]].
        var two = Linalg.Eigh(Tensor.FromArray(new double[,] { { 2, 1 }, { 1, 2 } }));
        Assert.Equal(1.0, two.Eigenvalues[0], 14);
        Assert.Equal(3.0, two.Eigenvalues[1], 14);
    }

    [Fact]
    public void WidelyScaledEntriesDoNotOverflow()
    {
        var a = Dense.RandomSymmetric(20, 3);
        var big = Tensor.Mul(a, Tensor.Scalar(1e150));
        var r = Linalg.Eigh(big);
        var r0 = Linalg.Eigh(a);
        for (int i = 0; i < 20; i++) Assert.Equal(r0.Eigenvalues[i] * 1e150, r.Eigenvalues[i], Math.Abs(r0.Eigenvalues[i]) * 1e150 * 1e-12 + 1e138);
    }

    [Fact]
    public void FloatInputIsDecomposedInDouble()
    {
        var a = Dense.RandomSymmetric(30, 6);
        var rf = Linalg.Eigh(a.Cast<float>());
        var rd = Linalg.Eigh(a.Cast<float>().Cast<double>());
        for (int i = 0; i < 30; i++) Assert.Equal((float)rd.Eigenvalues[i], rf.Eigenvalues[i]);
    }

    [Fact]
    public void RejectsNonSquareAndNonSymmetricInput()
    {
        Assert.Contains("[3, 4]", Assert.Throws<ArgumentException>(() => Linalg.Eigh(Tensor.Zeros<double>(3, 4))).Message);
        var a = Tensor.Eye<double>(3); a[0, 2] = 1;
        var ex = Assert.Throws<ArgumentException>(() => Linalg.Eigh(a));
        Assert.Contains("symmetric", ex.Message);
        Assert.Contains("[3, 3]", ex.Message);
        var nan = Tensor.Eye<double>(2); nan[1, 1] = double.NaN;
        Assert.Throws<ArgumentException>(() => Linalg.Eigh(nan));
        // Rounding-level asymmetry is tolerated and symmetrised.
        var near = Dense.RandomSymmetric(5, 1); near[0, 1] += 1e-14;
        AssertDecomposes(near, Linalg.Eigh(near), 1e-11);
    }
}
