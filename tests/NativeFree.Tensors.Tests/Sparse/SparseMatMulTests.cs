using FsCheck.Xunit;
using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;
using Xunit;
using static NativeFree.Tensors.Tests.Sparse.SparseTestData;

namespace NativeFree.Tensors.Tests.Sparse;

public class SparseMatMulTests
{
    [Property(MaxTest = 150)]
    public bool SpMMMatchesDense(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        int n = rng.Next(0, 7);
        var a = RandomCsr(rng, m, k, out var da);
        if (rng.Next(2) == 0) a = Shuffle(rng, a);
        var x = RandomDense(rng, k, n);
        var expect = DenseProduct(da, ToArray2(x));
        int threads = rng.Next(1, 4);
        return Close(ToArray2(SparseMatMul.SpMM(a, x, threads)), expect);
    }

    [Property(MaxTest = 150)]
    public bool SpMMTransposedMatchesDense(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        int n = rng.Next(0, 7);
        var a = RandomCsr(rng, m, k, out var da);
        var x = RandomDense(rng, m, n);
        var daT = new double[k, m];
        for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) daT[j, i] = da[i, j];
        var expect = DenseProduct(daT, ToArray2(x));
        return Close(ToArray2(SparseMatMul.SpMMTransposed(a, x, 1)), expect)
            && Close(ToArray2(SparseMatMul.SpMMTransposed(a, x, 2)), expect);
    }

    [Property(MaxTest = 150)]
    public bool SpMVMatchesDense(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        var a = Shuffle(rng, RandomCsr(rng, m, k, out var da));
        var xv = new double[k];
        for (int j = 0; j < k; j++) xv[j] = rng.NextDouble() - 0.5;
        var y = SparseMatMul.SpMV(a, Tensor.FromArray(xv, k), rng.Next(1, 3)).ToArray();
        if (y.Length != m) return false;
        for (int i = 0; i < m; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++) s += da[i, j] * xv[j];
            if (Math.Abs(s - y[i]) > 1e-9) return false;
        }
        var yt = SparseMatMul.SpMMTransposed(a, Tensor.FromArray(y.Length == 0 ? [] : y, m), 1).ToArray();
        for (int j = 0; j < k; j++)
        {
            double s = 0;
            for (int i = 0; i < m; i++) s += da[i, j] * y[i];
            if (Math.Abs(s - yt[j]) > 1e-9) return false;
        }
        return true;
    }

    /// <summary>
    /// L = Σ W ⊙ (A·X). Checks dL/dvalues (from SpMMValuesGradient with dC = W) and dL/dX
    /// (SpMMTransposed(A, W)) against central finite differences in float64.
    /// </summary>
    [Property(MaxTest = 60)]
    public bool GradientsMatchFiniteDifferences(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        int n = rng.Next(1, 5);
        var a = Shuffle(rng, RandomCsr(rng, m, k, out _));
        var x = RandomDense(rng, k, n);
        var w = RandomDense(rng, m, n);
        double Loss(CsrMatrix<double> aa, Tensor<double> xx)
        {
            var c = SparseMatMul.SpMM(aa, xx, 1);
            double s = 0;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) s += c[i, j] * w[i, j];
            return s;
        }
        const double h = 1e-6;
        var gv = SparseMatMul.SpMMValuesGradient(a, x, w, rng.Next(1, 3)).ToArray();
        if (gv.Length != a.Nnz) return false;
        for (int e = 0; e < a.Nnz; e++)
        {
            var ap = a.Clone(); ap.Values[e] += h;
            var am = a.Clone(); am.Values[e] -= h;
            double fd = (Loss(ap, x) - Loss(am, x)) / (2 * h);
            if (Math.Abs(fd - gv[e]) > 1e-6 * (1 + Math.Abs(fd))) return false;
        }
        var gx = SparseMatMul.SpMMTransposed(a, w, 1);
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++)
            {
                var xp = x.Clone(); xp[r, c] += h;
                var xm = x.Clone(); xm[r, c] -= h;
                double fd = (Loss(a, xp) - Loss(a, xm)) / (2 * h);
                if (Math.Abs(fd - gx[r, c]) > 1e-6 * (1 + Math.Abs(fd))) return false;
            }
        return true;
    }

    [Fact]
    public void FloatSpMMAgreesWithDouble()
    {
        var rng = new Random(5);
        var a = RandomCsr(rng, 40, 30, out var da);
        var x = RandomDense(rng, 30, 17);
        var yf = SparseMatMul.SpMM(a.Cast<float>(), x.Cast<float>(), 2);
        var expect = DenseProduct(da, ToArray2(x));
        for (int i = 0; i < 40; i++) for (int j = 0; j < 17; j++) Assert.Equal(expect[i, j], yf[i, j], 3);
    }

    [Fact]
    public void MismatchedShapesNameBoth()
    {
        var a = CsrMatrix<double>.Identity(3);
        var e = Assert.Throws<ArgumentException>(() => SparseMatMul.SpMM(a, Tensor.Zeros<double>(4, 2)));
        Assert.Contains("[3, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => SparseMatMul.SpMV(a, Tensor.Zeros<double>(2)));
        Assert.Throws<ArgumentException>(() => SparseMatMul.SpMMTransposed(a, Tensor.Zeros<double>(2, 2)));
        Assert.Throws<ArgumentException>(() => SparseMatMul.SpMMValuesGradient(a, Tensor.Zeros<double>(3, 2), Tensor.Zeros<double>(3, 3)));
    }
}
