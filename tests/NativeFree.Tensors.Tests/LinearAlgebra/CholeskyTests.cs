using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.LinearAlgebra;

public class CholeskyTests
{
    private const double Eps = 2.220446049250313e-16;

    // Textbook Cholesky–Banachiewicz, unblocked: the oracle for the blocked factor.
    private static double[,] NaiveCholesky(double[,] a)
    {
        int n = a.GetLength(0);
        var l = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i, j];
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                l[i, j] = i == j ? Math.Sqrt(s) : s / l[j, j];
            }
        return l;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(200)]
    public void FactorReconstructsRandomSpdMatrices(int n)
    {
        var a = Dense.RandomSpd(n, (ulong)n);
        var l = Linalg.Cholesky(a);
        var L = Dense.Of(l);
        var A = Dense.Of(a);
        for (int i = 0; i < n; i++)
        {
            Assert.True(L[i, i] > 0);
            for (int j = i + 1; j < n; j++) Assert.Equal(0.0, L[i, j]);
        }
        double scale = Dense.Frobenius(A);
        Assert.True(Dense.MaxAbsDiff(Dense.Mul(L, L, transB: true), A) <= 50 * n * Eps * scale, "L·Lᵀ does not reconstruct A");
        Assert.True(Dense.MaxAbsDiff(L, NaiveCholesky(A)) <= 1e-10 * Math.Sqrt(scale), "blocked factor differs from the textbook one");
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 9)]
    [InlineData(3, 10)]
    [InlineData(5, 23)]
    [InlineData(37, 100)] // panel recursion splits 37 → 18 + 19 → leaves of 9 and 10
    public void SmallBlocksCoverEveryBlockBoundaryCase(int blockSize, int n)
    {
        var a = Dense.RandomSpd(n, 99);
        var l = Linalg.Cholesky(a, 0, blockSize);
        Assert.True(Dense.MaxAbsDiff(Dense.Of(l), NaiveCholesky(Dense.Of(a))) < 1e-12);
    }

    [Fact]
    public void ReadsOnlyTheLowerTriangle()
    {
        var a = Dense.RandomSpd(30, 5);
        var junk = a.Clone();
        for (int i = 0; i < 30; i++) for (int j = i + 1; j < 30; j++) junk[i, j] = double.NaN;
        Assert.Equal(Linalg.Cholesky(a).ToArray(), Linalg.Cholesky(junk).ToArray());
    }

    [Fact]
    public void NotPositiveDefiniteNamesThePivot()
    {
        var a = Tensor.Eye<double>(80);
        a[70, 70] = -2;
        var ex = Assert.Throws<NotPositiveDefiniteException>(() => Linalg.Cholesky(a));
        Assert.Equal(70, ex.PivotIndex);
        Assert.Equal(-2, ex.PivotValue);
        Assert.Contains("pivot 70", ex.Message);
        Assert.Contains("jitter", ex.Message);
        Assert.IsAssignableFrom<ArithmeticException>(ex);

        // Semi-definite [[1,2],[2,4]]: the second pivot is 4 - 2² = 0.
        var psd = Tensor.FromArray(new double[,] { { 1, 2 }, { 2, 4 } });
        Assert.Equal(1, Assert.Throws<NotPositiveDefiniteException>(() => Linalg.Cholesky(psd)).PivotIndex);
        var nan = Tensor.Eye<double>(3); nan[1, 0] = double.NaN;
        Assert.Equal(1, Assert.Throws<NotPositiveDefiniteException>(() => Linalg.Cholesky(nan)).PivotIndex);
    }

    [Fact]
    public void JitterMakesASemiDefiniteKernelFactorable()
    {
        // A rank-3 Gram matrix of 40 points: PSD, singular, fails without jitter.
        var x = new Rng(3).StandardNormal<double>(40, 3);
        var k = Tensor.MatMul(x, x.Mt);
        Assert.Throws<NotPositiveDefiniteException>(() => Linalg.Cholesky(k));
        var (l, jitter) = Linalg.CholeskyWithJitter(k);
        Assert.True(jitter > 0);
        var K = Dense.Of(k);
        for (int i = 0; i < 40; i++) K[i, i] += jitter;
        var L = Dense.Of(l);
        Assert.True(Dense.MaxAbsDiff(Dense.Mul(L, L, transB: true), K) < 1e-10 * Dense.Frobenius(K));
        Assert.Equal(0.0, Linalg.CholeskyWithJitter(Tensor.Eye<double>(4)).Jitter);
        Assert.Throws<NotPositiveDefiniteException>(() => Linalg.CholeskyWithJitter(Tensor.FromArray(new double[,] { { -1.0 } }), maxTries: 2));
    }

    [Fact]
    public void FloatFactorAgreesWithDouble()
    {
        var a = Dense.RandomSpd(70, 12);
        var ld = Linalg.Cholesky(a).ToArray();
        var lf = Linalg.Cholesky(a.Cast<float>()).ToArray();
        for (int i = 0; i < ld.Length; i++) Assert.True(Math.Abs(ld[i] - lf[i]) < 1e-4, $"element {i}: {ld[i]} vs {lf[i]}");
    }

    [Fact]
    public void BadShapesNameTheShape()
    {
        Assert.Contains("[3, 4]", Assert.Throws<ArgumentException>(() => Linalg.Cholesky(Tensor.Zeros<double>(3, 4))).Message);
        Assert.Contains("[2, 2, 2]", Assert.Throws<ArgumentException>(() => Linalg.Cholesky(Tensor.Zeros<double>(2, 2, 2))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Linalg.Cholesky(Tensor.Eye<double>(2), jitter: -1));
        var ex = Assert.Throws<ArgumentException>(() => Linalg.SolvePositiveDefinite(Tensor.Eye<double>(3), Tensor.Zeros<double>(4, 2)));
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Contains("[3, 3]", ex.Message);
    }

    [Fact]
    public void EmptyMatrixFactorsToEmpty() => Assert.Equal(0, Linalg.Cholesky(Tensor.Zeros<double>(0, 0)).Length);
}

public class SolveTests
{
    private const double Eps = 2.220446049250313e-16;

    // Plain substitution on op(A), the oracle for the blocked solver.
    private static double[,] NaiveSolve(double[,] a, double[,] b, bool lower, bool trans, bool unit)
    {
        int n = a.GetLength(0), k = b.GetLength(1);
        double M(int i, int j) => trans ? a[j, i] : a[i, j];
        bool fwd = lower != trans;
        var x = (double[,])b.Clone();
        for (int step = 0; step < n; step++)
        {
            int i = fwd ? step : n - 1 - step;
            for (int c = 0; c < k; c++)
            {
                double s = x[i, c];
                if (fwd) for (int j = 0; j < i; j++) s -= M(i, j) * x[j, c];
                else for (int j = i + 1; j < n; j++) s -= M(i, j) * x[j, c];
                x[i, c] = unit ? s : s / M(i, i);
            }
        }
        return x;
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (int n in new[] { 1, 7, 64, 65, 130 })
            foreach (bool lower in new[] { true, false })
                foreach (bool trans in new[] { true, false })
                    foreach (bool unit in new[] { true, false })
                        yield return [n, lower, trans, unit];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BlockedTriangularSolveMatchesSubstitution(int n, bool lower, bool trans, bool unit)
    {
        var rng = new Rng((ulong)(n * 8 + (lower ? 4 : 0) + (trans ? 2 : 0) + (unit ? 1 : 0)));
        var full = rng.Uniform(-1.0, 1.0, n, n);
        for (int i = 0; i < n; i++) full[i, i] = 2 + i % 3; // well-conditioned diagonal
        var b = rng.StandardNormal<double>(n, 3);
        var x = Linalg.SolveTriangular(full, b, lower, trans, unit);
        // The other triangle is garbage on purpose: it must not be read.
        var tri = Dense.Of(full);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (lower ? j > i : j < i) tri[i, j] = 0;
        if (unit) for (int i = 0; i < n; i++) tri[i, i] = 1;
        var expect = NaiveSolve(tri, Dense.Of(b), lower, trans, unit);
        double scale = Math.Max(1, Dense.Frobenius(expect));
        Assert.True(Dense.MaxAbsDiff(Dense.Of(x), expect) < 1e-9 * scale);
        // Small blocks too.
        var x4 = Linalg.SolveTriangular(full, b, lower, trans, unit, blockSize: 4);
        Assert.True(Dense.MaxAbsDiff(Dense.Of(x4), expect) < 1e-9 * scale);
    }

    [Fact]
    public void VectorRightHandSideKeepsItsShape()
    {
        var l = Linalg.Cholesky(Dense.RandomSpd(9, 1));
        var b = new Rng(2).StandardNormal<double>(9);
        var x = Linalg.SolveTriangular(l, b);
        Assert.Equal(new[] { 9 }, x.ShapeArray);
        var back = Tensor.MatMul(l, x).ToArray();
        for (int i = 0; i < 9; i++) Assert.Equal(b[i], back[i], 12);
    }

    [Fact]
    public void SingularTriangularMatrixIsReported()
    {
        var a = Tensor.Eye<double>(4); a[2, 2] = 0;
        Assert.Contains("diagonal element 2", Assert.Throws<ArithmeticException>(() => Linalg.SolveTriangular(a, Tensor.Ones<double>(4))).Message);
        Assert.Equal(4, Linalg.SolveTriangular(a, Tensor.Ones<double>(4), unitDiagonal: true).Length); // unit: diagonal not read
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(129)]
    [InlineData(200)]
    public void PositiveDefiniteSolveHasSmallResidual(int n)
    {
        var a = Dense.RandomSpd(n, (ulong)n + 1000);
        var b = new Rng(5).StandardNormal<double>(n, 4);
        var x = Linalg.SolvePositiveDefinite(a, b);
        var A = Dense.Of(a); var X = Dense.Of(x);
        var r = Dense.Mul(A, X);
        var B = Dense.Of(b);
        double res = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < 4; j++) res = Math.Max(res, Math.Abs(r[i, j] - B[i, j]));
        Assert.True(res <= 100 * n * Eps * Dense.Frobenius(A) * Dense.Frobenius(X), $"residual {res}");
    }

    [Fact]
    public void InverseAndLogDeterminantFromTheFactor()
    {
        int n = 25;
        var a = Dense.RandomSpd(n, 77);
        var l = Linalg.Cholesky(a);
        var inv = Linalg.CholeskyInverse(l);
        var prod = Dense.Mul(Dense.Of(a), Dense.Of(inv));
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) Assert.Equal(i == j ? 1.0 : 0.0, prod[i, j], 10);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) Assert.Equal(inv[i, j], inv[j, i]);
        // log det against the eigenvalues of the same matrix (an independent route).
        double fromEig = Linalg.Eigh(a).Eigenvalues.ToArray().Sum(Math.Log);
        Assert.Equal(fromEig, Linalg.LogDeterminantPositiveDefinite(a), 9);
        // And a closed form: det(diag(1..5)) = 120.
        Assert.Equal(Math.Log(120), Linalg.LogDeterminantPositiveDefinite(Tensor.FromArray(new double[,] { { 1, 0, 0, 0, 0 }, { 0, 2, 0, 0, 0 }, { 0, 0, 3, 0, 0 }, { 0, 0, 0, 4, 0 }, { 0, 0, 0, 0, 5 } })), 13);
    }

    [Fact]
    public void FloatSolveAgreesWithDouble()
    {
        var a = Dense.RandomSpd(40, 8);
        var b = new Rng(9).StandardNormal<double>(40, 2);
        var xd = Linalg.SolvePositiveDefinite(a, b).ToArray();
        var xf = Linalg.SolvePositiveDefinite(a.Cast<float>(), b.Cast<float>()).ToArray();
        for (int i = 0; i < xd.Length; i++) Assert.True(Math.Abs(xd[i] - xf[i]) < 1e-4 * (1 + Math.Abs(xd[i])));
    }
}
