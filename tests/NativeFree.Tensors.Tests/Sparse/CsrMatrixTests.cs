using FsCheck.Xunit;
using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;
using Xunit;
using static NativeFree.Tensors.Tests.Sparse.SparseTestData;

namespace NativeFree.Tensors.Tests.Sparse;

public class CsrMatrixTests
{
    [Property(MaxTest = 200)]
    public bool CooSumsDuplicatesAndMatchesDense(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = RandomCsr(rng, m, n, out var dense);
        return a.Rows == m && a.Columns == n && a.HasSortedIndices && RowsSorted(a)
            && Close(ToArray2(a.ToDense()), dense) && Close(ToArray2(a), dense);
    }

    [Property(MaxTest = 200)]
    public bool DenseRoundTrip(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        RandomCsr(rng, m, n, out var dense);
        var t = Tensor.FromArray(dense);
        var a = CsrMatrix<double>.FromDense(t);
        for (int p = 0; p < a.Nnz; p++) if (a.Values[p] == 0) return false; // FromDense drops zeros
        return Close(ToArray2(a.ToDense()), dense);
    }

    [Property(MaxTest = 200)]
    public bool TransposeMatchesDense(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = Shuffle(rng, RandomCsr(rng, m, n, out var dense));
        var t = a.Transpose();
        var expect = new double[n, m];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) expect[j, i] = dense[i, j];
        return t.HasSortedIndices && RowsSorted(t) && Close(ToArray2(t), expect);
    }

    [Property(MaxTest = 200)]
    public bool SortIndicesKeepsElements(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = Shuffle(rng, RandomCsr(rng, m, n, out var dense));
        var s = a.SortIndices();
        return RowsSorted(s) && s.HasSortedIndices && Close(ToArray2(s), dense)
            && a.HasSortedIndices == RowsSorted(a);
    }

    [Property(MaxTest = 200)]
    public bool AddScaleMatchDense(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = RandomCsr(rng, m, n, out var da);
        var b = RandomCsr(rng, m, n, out var db);
        if (rng.Next(2) == 0) b = Shuffle(rng, b);
        var c = CsrMatrix<double>.Add(a, b, 2.0, -0.5);
        var expect = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) expect[i, j] = 2 * da[i, j] - 0.5 * db[i, j];
        bool sortedOk = c.HasSortedIndices == (a.HasSortedIndices && b.HasSortedIndices) && (!c.HasSortedIndices || RowsSorted(c));
        var s = 3.0 * a;
        var e2 = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) e2[i, j] = 3 * da[i, j];
        return sortedOk && Close(ToArray2(c), expect) && Close(ToArray2(s), e2) && Close(ToArray2(a + b - b), da);
    }

    [Property(MaxTest = 200)]
    public bool DiagonalAndSums(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = Shuffle(rng, RandomCsr(rng, m, n, out var d));
        var diag = a.Diagonal().ToArray();
        var rs = a.RowSums().ToArray();
        var cs = a.ColumnSums().ToArray();
        if (diag.Length != Math.Min(m, n) || rs.Length != m || cs.Length != n) return false;
        for (int i = 0; i < diag.Length; i++) if (diag[i] != d[i, i]) return false;
        for (int i = 0; i < m; i++) { double s = 0; for (int j = 0; j < n; j++) s += d[i, j]; if (Math.Abs(rs[i] - s) > 1e-9) return false; }
        for (int j = 0; j < n; j++) { double s = 0; for (int i = 0; i < m; i++) s += d[i, j]; if (Math.Abs(cs[j] - s) > 1e-9) return false; }
        return true;
    }

    [Fact]
    public void MapCastAndIndexer()
    {
        var coo = new CooBuilder<double>(2, 3);
        coo.Add(0, 2, -2); coo.Add(1, 0, 3); coo.Add(1, 0, 1);
        var a = coo.ToCsr();
        var r = a.Map(v => Math.Max(v, 0));
        Assert.Equal(0.0, r[0, 2]);
        Assert.Equal(4.0, r[1, 0]);
        Assert.Equal(0.0, r[1, 1]);
        var f = a.Cast<float>();
        Assert.Equal(4f, f[1, 0]);
        Assert.Equal(2, a.Nnz);
        Assert.Equal(-2.0, a[0, 2]);
    }

    [Fact]
    public void ValidatingConstructorRejectsBadArrays()
    {
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(2, 2, [0, 1], [0], [1.0]));
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(2, 2, [0, 2, 1], [0, 1], [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(1, 2, [0, 1], [2], [1.0]));
        var dup = Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(1, 3, [0, 2], [1, 1], [1.0, 2.0]));
        Assert.Contains("twice", dup.Message);
        var ok = new CsrMatrix<double>(1, 3, [0, 2], [2, 0], [1.0, 2.0]);
        Assert.False(ok.HasSortedIndices);
        Assert.Throws<ArgumentException>(() => CsrMatrix<double>.Add(ok, CsrMatrix<double>.Zeros(3, 1), 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CooBuilder<double>(2, 2).Add(2, 0, 1));
    }
}
