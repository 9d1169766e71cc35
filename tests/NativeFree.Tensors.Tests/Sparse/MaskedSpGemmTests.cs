using FsCheck.Xunit;
using NativeFree.Tensors.Sparse;
using Xunit;
using static NativeFree.Tensors.Tests.Sparse.SparseTestData;

namespace NativeFree.Tensors.Tests.Sparse;

[Collection(SpGemmTuning.Name)]
public class MaskedSpGemmTests
{
    /// <summary>
    /// Oracle from the stored entries alone, with plain loops: value[i,j] = Σ a_ik·b_kj over stored pairs,
    /// and whether any such term exists (an explicit zero stays an entry, as in GraphBLAS).
    /// </summary>
    private static (double[,] Value, bool[,] HasTerm) Terms(CsrMatrix<double> a, CsrMatrix<double> b)
    {
        var value = new double[a.Rows, b.Columns];
        var has = new bool[a.Rows, b.Columns];
        for (int i = 0; i < a.Rows; i++)
            for (int pa = a.RowPointers[i]; pa < a.RowPointers[i + 1]; pa++)
            {
                int k = a.ColumnIndices[pa];
                for (int pb = b.RowPointers[k]; pb < b.RowPointers[k + 1]; pb++)
                {
                    int j = b.ColumnIndices[pb];
                    value[i, j] += a.Values[pa] * b.Values[pb];
                    has[i, j] = true;
                }
            }
        return (value, has);
    }

    private static bool Stored(CsrMatrix<double> x, int i, int j)
    {
        for (int p = x.RowPointers[i]; p < x.RowPointers[i + 1]; p++)
            if (x.ColumnIndices[p] == j) return true;
        return false;
    }

    /// <summary>
    /// Every (mask, threads, sorted) combination on random shapes (empty rows and columns, stored zeros,
    /// shuffled rows): C⟨M⟩ holds exactly the masked positions with a term, with the oracle's values;
    /// the sampled form holds exactly the mask's pattern, in the mask's column order.
    /// </summary>
    [Property(MaxTest = 100)]
    public bool MaskedProductMatchesOracle(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        int n = rng.Next(0, 13);
        var a = RandomCsr(rng, m, k, out _);
        var b = RandomCsr(rng, k, n, out _);
        var mask = RandomCsr(rng, m, n, out _);
        if (rng.Next(2) == 0) mask = Shuffle(rng, mask);
        if (rng.Next(2) == 0) b = Shuffle(rng, b);
        var (value, has) = Terms(a, b);
        long expectedMultiplies = 0;
        for (int i = 0; i < m; i++)
            for (int pa = a.RowPointers[i]; pa < a.RowPointers[i + 1]; pa++)
            {
                int kk = a.ColumnIndices[pa];
                for (int pb = b.RowPointers[kk]; pb < b.RowPointers[kk + 1]; pb++)
                    if (Stored(mask, i, b.ColumnIndices[pb])) expectedMultiplies++;
            }
        int savedRing = SpGemm.MaskRingMax;
        try
        {
        // Rings of 1–4 slots: mask columns collide (full marker) or share slots with B's other columns.
        foreach (int ring in new[] { 1 << 15, 1, 4 })
        foreach (int threads in new[] { 1, 2, 3 })
            foreach (bool sorted in new[] { false, true })
            {
                SpGemm.MaskRingMax = ring;
                var options = new SpGemmOptions { Threads = threads, Sorted = sorted };
                var c = SpGemm.MultiplyMasked(a, b, mask, options, keepMaskPattern: false, out var stats);
                var s = SpGemm.MultiplyMasked(a, b, mask, options, keepMaskPattern: true, out var sampledStats);
                if (c.Rows != m || c.Columns != n || s.Nnz != mask.Nnz) return false;
                if (stats.Multiplies != expectedMultiplies || sampledStats.Multiplies != expectedMultiplies) return false;
                int expectedNnz = 0;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        bool masked = Stored(mask, i, j);
                        if (masked && has[i, j]) expectedNnz++;
                        if (Stored(c, i, j) != (masked && has[i, j])) return false;
                        if (Stored(s, i, j) != masked) return false;
                        if (masked && Math.Abs(s[i, j] - value[i, j]) > 1e-9) return false;
                        if (masked && has[i, j] && Math.Abs(c[i, j] - value[i, j]) > 1e-9) return false;
                    }
                if (c.Nnz != expectedNnz) return false;
                if (sorted && !(RowsSorted(c) && RowsSorted(s) && c.HasSortedIndices)) return false;
                // Unsorted request: rows keep the mask's column order.
                if (!sorted && !s.ColumnIndices.SequenceEqual(mask.ColumnIndices)) return false;
            }
        }
        finally { SpGemm.MaskRingMax = savedRing; }
        return true;
    }

    /// <summary>Triangle counting: trace-free form Σ (A⟨A⟩·A) / 6 equals the dense trace(A³)/6 on a random undirected graph.</summary>
    [Fact]
    public void TriangleCountMatchesDenseTrace()
    {
        var g = SparseGenerators.ErdosRenyi<double>(120, 120, 0.08, seed: 5);
        var coo = new CooBuilder<double>(120, 120);
        for (int i = 0; i < 120; i++)
            for (int p = g.RowPointers[i]; p < g.RowPointers[i + 1]; p++)
            {
                int j = g.ColumnIndices[p];
                if (i == j) continue;
                coo.Add(i, j, 1);
                coo.Add(j, i, 1);
            }
        var a = coo.ToCsr();
        for (int p = 0; p < a.Nnz; p++) a.Values[p] = 1; // duplicates summed to 2: back to a 0/1 adjacency
        var d = ToArray2(a);
        double trace = 0;
        for (int i = 0; i < 120; i++)
            for (int j = 0; j < 120; j++)
            {
                if (d[i, j] == 0) continue;
                for (int l = 0; l < 120; l++) trace += d[i, j] * d[j, l] * d[l, i];
            }
        var c = SpGemm.MultiplyMasked(a, a, a, threads: 2);
        double sum = 0;
        foreach (double v in c.Values) sum += v;
        Assert.True(trace > 0);
        Assert.Equal(trace / 6, sum / 6, 9);
    }

    [Fact]
    public void WrongMaskShapeNamesTheShapes()
    {
        var a = SparseGenerators.ErdosRenyi<double>(4, 5, 0.5, seed: 1);
        var b = SparseGenerators.ErdosRenyi<double>(5, 6, 0.5, seed: 2);
        var bad = SparseGenerators.ErdosRenyi<double>(4, 5, 0.5, seed: 3);
        var e = Assert.Throws<ArgumentException>(() => SpGemm.MultiplyMasked(a, b, bad));
        Assert.Contains("4×6", e.Message);
        Assert.Contains(bad.ShapeText, e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SpGemm.MultiplyMasked(a, a, bad));
        Assert.Contains("inner dimensions", e2.Message);
    }
}
