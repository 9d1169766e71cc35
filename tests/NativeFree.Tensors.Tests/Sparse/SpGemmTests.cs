using FsCheck.Xunit;
using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;
using Xunit;
using static NativeFree.Tensors.Tests.Sparse.SparseTestData;

namespace NativeFree.Tensors.Tests.Sparse;

/// <summary>In the "SpGEMM tuning" collection: never in parallel with other tests that lower SpGEMM's tuning statics or read its row counts.</summary>
[Collection(SpGemmTuning.Name)]
public class SpGemmTests
{
    private static readonly SpGemmAccumulator[] Accumulators = [SpGemmAccumulator.Auto, SpGemmAccumulator.Dense, SpGemmAccumulator.Marker, SpGemmAccumulator.Hash, SpGemmAccumulator.Window];

    /// <summary>Exact structural equality: same row pointers and, row by row, the same (column, value) set.</summary>
    private static bool SameMatrix(CsrMatrix<double> x, CsrMatrix<double> y)
    {
        if (x.Rows != y.Rows || x.Columns != y.Columns || !x.RowPointers.SequenceEqual(y.RowPointers)) return false;
        var xs = x.SortIndices();
        var ys = y.SortIndices();
        if (!xs.ColumnIndices.SequenceEqual(ys.ColumnIndices)) return false;
        for (int p = 0; p < xs.Nnz; p++)
            if (Math.Abs(xs.Values[p] - ys.Values[p]) > 1e-12 * (1 + Math.Abs(ys.Values[p]))) return false;
        return true;
    }

    [Property(MaxTest = 100)]
    public bool ProductMatchesDenseForEveryAccumulatorAndThreadCount(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        int n = rng.Next(6) == 0 ? 1 : rng.Next(0, 13);
        var a = RandomCsr(rng, m, k, out var da);
        var b = RandomCsr(rng, k, n, out var db);
        if (rng.Next(2) == 0) a = Shuffle(rng, a);
        if (rng.Next(2) == 0) b = Shuffle(rng, b);
        var expect = DenseProduct(da, db);
        var reference = SpGemm.MultiplyReference(a, b);
        if (!Close(ToArray2(reference), expect)) return false;
        foreach (var acc in Accumulators)
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (bool sorted in new[] { false, true })
                foreach (bool onePass in new[] { false, true })
                {
                    var c = SpGemm.Multiply(a, b, new SpGemmOptions { Accumulator = acc, Threads = threads, Sorted = sorted, OnePass = onePass });
                    if (!Close(ToArray2(c), expect) || !SameMatrix(c, reference)) return false;
                    if (sorted && !(c.HasSortedIndices && RowsSorted(c))) return false;
                    if (c.HasSortedIndices != RowsSorted(c) && c.HasSortedIndices) return false;
                }
        return true;
    }

    /// <summary>Larger random products with long and short rows so both accumulators and many chunks run.</summary>
    [Fact]
    public void LargerProductsAgreeAcrossAccumulatorsAndThreads()
    {
        var rng = new Random(11);
        var a = SparseGenerators.Rmat<double>(10, 8, seed: 3);
        var reference = SpGemm.MultiplyReference(a, a);
        foreach (var acc in Accumulators)
            foreach (int threads in new[] { 1, 2, 4 })
            foreach (bool onePass in new[] { false, true })
            {
                var c = SpGemm.Multiply(a, a, new SpGemmOptions { Accumulator = acc, Threads = threads, OnePass = onePass }, out var stats);
                Assert.True(SameMatrix(c, reference), $"{acc} on {threads} threads");
                Assert.Equal(SpGemm.CountMultiplies(a, a), stats.Multiplies);
                Assert.Equal(reference.Nnz, stats.NnzC);
            }
        var lap = SparseGenerators.Laplacian2D<double>(20, 20);
        var r2 = SpGemm.MultiplyReference(lap, lap);
        foreach (var acc in Accumulators)
            Assert.True(SameMatrix(SpGemm.Multiply(lap, lap, new SpGemmOptions { Accumulator = acc, Threads = 2, Sorted = true }), r2));
        _ = rng;
    }

    /// <summary>Tiny segments force one-pass rows to spill across many segments and pieces.</summary>
    [Fact]
    public void OnePassWithTinySegmentsMatchesReference()
    {
        var a = SparseGenerators.Rmat<double>(9, 8, seed: 5);
        var lap = SparseGenerators.Laplacian3D<double>(6, 5, 4);
        var ra = SpGemm.MultiplyReference(a, a);
        var rl = SpGemm.MultiplyReference(lap, lap);
        int saved = SpGemm.SegmentWriter<double>.MaxSegment;
        try
        {
            SpGemm.SegmentWriter<double>.MaxSegment = 7;
            foreach (var acc in Accumulators)
                foreach (int threads in new[] { 1, 3 })
                {
                    var opt = new SpGemmOptions { Accumulator = acc, Threads = threads, OnePass = true };
                    Assert.True(SameMatrix(SpGemm.Multiply(a, a, opt), ra), $"rmat {acc} {threads}");
                    Assert.True(SameMatrix(SpGemm.Multiply(lap, lap, opt), rl), $"lap {acc} {threads}");
                }
        }
        finally { SpGemm.SegmentWriter<double>.MaxSegment = saved; }
    }

    /// <summary>
    /// Many tiny chunks (down to one nonzero of A each) on 2–3 threads, with the multiplies counted
    /// inside the symbolic phase (chunks cut by A's nonzeros) or in a pass of their own (chunks cut by
    /// flops): every chunking gives the reference product and the exact multiply count.
    /// </summary>
    [Property(MaxTest = 60)]
    public bool ChunkingByNonzerosOrFlopsGivesTheSameProduct(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        var a = RandomCsr(rng, m, k, out _);
        var b = RandomCsr(rng, k, rng.Next(1, 30), out _);
        var reference = SpGemm.MultiplyReference(a, b);
        long savedNnz = SpGemm.FusedChunkNnz;
        bool savedFuse = SpGemm.FuseFlopCount;
        try
        {
            foreach (bool fuse in new[] { true, false })
                foreach (long perChunk in new long[] { 1, 3 })
                    foreach (int threads in new[] { 2, 3 })
                    {
                        SpGemm.FuseFlopCount = fuse;
                        SpGemm.FusedChunkNnz = perChunk;
                        var c = SpGemm.Multiply(a, b, new SpGemmOptions { Threads = threads, Accumulator = Accumulators[rng.Next(Accumulators.Length)] }, out var stats);
                        if (!SameMatrix(c, reference) || stats.Multiplies != SpGemm.CountMultiplies(a, b)) return false;
                    }
        }
        finally
        {
            SpGemm.FusedChunkNnz = savedNnz;
            SpGemm.FuseFlopCount = savedFuse;
        }
        return true;
    }

    /// <summary>
    /// Short rows counted in registers (AVX-512 conflict detection, Auto policy): rows of 2–32 multiplies
    /// whose B rows hold 0–20 entries (so one copy may cross the 16-lane halves) over few columns (so
    /// repeats fall within and across every pair of 8-lane quarters), rows just over the limit, B rows
    /// at the very end of B's arrays (the 16-int load would run past them: the ring takes over), sorted
    /// and unsorted B, B narrower and wider than a tiny ring. Sizes and products must equal the reference.
    /// </summary>
    [Property(MaxTest = 150)]
    public bool ShortRowsCountedInRegistersMatchReference(int seed)
    {
        var rng = new Random(seed);
        int k = rng.Next(1, 12), n = rng.Next(1, 60), m = rng.Next(1, 40);
        var cooB = new CooBuilder<double>(k, n);
        for (int r = 0; r < k; r++)
        {
            int len = rng.Next(4) == 0 ? rng.Next(17, 21) : rng.Next(0, 9);
            for (int e = 0; e < len; e++) cooB.Add(r, rng.Next(n), rng.Next(1, 5));
        }
        var b = cooB.ToCsr();
        if (rng.Next(2) == 0) b = Shuffle(rng, b);
        var cooA = new CooBuilder<double>(m, k);
        for (int i = 0; i < m; i++)
        {
            int len = rng.Next(1, 7);
            for (int e = 0; e < len; e++) cooA.Add(i, rng.Next(k), rng.Next(-3, 4) + 0.5);
        }
        var a = cooA.ToCsr();
        var reference = SpGemm.MultiplyReference(a, b);
        int savedWindow = SpGemmKernels.WindowSize;
        try
        {
            foreach (int ring in new[] { 1 << 15, 8 })
                foreach (int threads in new[] { 1, 2 })
                {
                    SpGemmKernels.WindowSize = ring;
                    var c = SpGemm.Multiply(a, b, new SpGemmOptions { Threads = threads }, out var stats);
                    if (!SameMatrix(c, reference) || stats.Multiplies != SpGemm.CountMultiplies(a, b)) return false;
                }
        }
        finally { SpGemmKernels.WindowSize = savedWindow; }
        return true;
    }

    /// <summary>
    /// Guided chunk claims from several threads at once partition [0, chunks) exactly (no chunk twice, none
    /// missed), every claim non-empty and at most a 1/(2·workers) share of what was left plus one.
    /// </summary>
    [Property(MaxTest = 60)]
    public bool GuidedChunkClaimsPartitionTheChunks(int seed)
    {
        var rng = new Random(seed);
        int chunks = rng.Next(0, 400), workers = rng.Next(1, 5);
        int next = 0;
        var claims = new System.Collections.Concurrent.ConcurrentBag<(int First, int End)>();
        bool sizesOk = true;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            while (SpGemm.ClaimChunks(ref next, chunks, workers, out int first, out int end))
            {
                if (end <= first || end > chunks || end - first > Math.Max(1, (chunks - first) / (2 * workers))) sizesOk = false;
                claims.Add((first, end));
            }
        });
        var sorted = claims.OrderBy(c => c.First).ToList();
        int at = 0;
        foreach (var (first, end) in sorted)
        {
            if (first != at) return false;
            at = end;
        }
        return sizesOk && at == chunks;
    }

    /// <summary>The binary-search row split: parts cover the rows in order, each within one row's weight of an equal share.</summary>
    [Property(MaxTest = 200)]
    public bool SplitByNnzCutsEqualShares(int seed)
    {
        var rng = new Random(seed);
        int m = rng.Next(0, 50), parts = rng.Next(1, 12);
        long perRow = rng.Next(0, 5);
        var rowPtr = new int[m + 1];
        for (int i = 0; i < m; i++) rowPtr[i + 1] = rowPtr[i] + (rng.Next(4) == 0 ? rng.Next(0, 40) : rng.Next(0, 3));
        var bounds = SparseParallel.SplitByNnz(rowPtr, parts, perRow);
        if (bounds.Length != parts + 1 || bounds[0] != 0 || bounds[parts] != m) return false;
        long Weight(int r0, int r1) => rowPtr[r1] - rowPtr[r0] + perRow * (r1 - r0);
        long total = Weight(0, m), maxRow = 0;
        for (int i = 0; i < m; i++) maxRow = Math.Max(maxRow, Weight(i, i + 1));
        for (int p = 0; p < parts; p++)
        {
            if (bounds[p] > bounds[p + 1]) return false;
            // The cut before part p+1 is the first row boundary at or past its target share.
            long before = Weight(0, bounds[p + 1]), target = total * (p + 1) / parts;
            if (p + 1 < parts && (before < target || (bounds[p + 1] > 0 && Weight(0, bounds[p + 1] - 1) >= target))) return false;
            if (Weight(bounds[p], bounds[p + 1]) > (total + parts - 1) / parts + maxRow) return false;
        }
        return true;
    }

    [Property(MaxTest = 100)]
    public bool MultiplyTransposedIsGram(int seed)
    {
        var rng = new Random(seed);
        var (m, k) = Shape(rng);
        var a = RandomCsr(rng, m, k, out var da);
        var daT = new double[k, m];
        for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) daT[j, i] = da[i, j];
        return Close(ToArray2(SpGemm.MultiplyTransposed(a, a)), DenseProduct(da, daT));
    }

    [Fact]
    public void FloatProductAgreesWithDouble()
    {
        var a = SparseGenerators.ErdosRenyi<double>(60, 50, 0.1, seed: 2);
        var b = SparseGenerators.ErdosRenyi<double>(50, 40, 0.1, seed: 4);
        var c = SpGemm.Multiply(a.Cast<float>(), b.Cast<float>(), sorted: true, threads: 2);
        var expect = DenseProduct(ToArray2(a), ToArray2(b));
        for (int i = 0; i < 60; i++) for (int j = 0; j < 40; j++) Assert.Equal(expect[i, j], c[i, j], 3);
    }

    /// <summary>
    /// The window accumulator with a tiny ring: wide B (up to 60 columns) so the ring wraps (column j and
    /// j + ring size share a slot) and rows wider than the ring fall back to hash/dense; sorted and
    /// unsorted B, long and short rows (the short-row threshold lowered too), empty rows.
    /// </summary>
    [Property(MaxTest = 60)]
    public bool WindowAccumulatorWithTinyRingMatchesDense(int seed)
    {
        var rng = new Random(seed);
        int m = rng.Next(0, 9), k = rng.Next(1, 12), n = rng.Next(1, 61);
        var a = rng.Next(3) == 0 ? RandomCsr(rng, m, k, out var da) : BandedCsr(rng, m, k, out da);
        var b = rng.Next(3) == 0 ? RandomCsr(rng, k, n, out var db) : BandedCsr(rng, k, n, out db);
        if (rng.Next(3) == 0) b = Shuffle(rng, b);
        if (rng.Next(3) == 0) a = Shuffle(rng, a);
        var expect = DenseProduct(da, db);
        var reference = SpGemm.MultiplyReference(a, b);
        int savedWindow = SpGemmKernels.WindowSize, savedMin = SpGemmKernels.AutoBitmapMinWork;
        try
        {
            SpGemmKernels.WindowSize = 1 << rng.Next(0, 5);
            SpGemmKernels.AutoBitmapMinWork = rng.Next(2) == 0 ? savedMin : rng.Next(2, 20);
            foreach (var acc in new[] { SpGemmAccumulator.Window, SpGemmAccumulator.Auto })
                foreach (int threads in new[] { 1, 2, 3 })
                    foreach (bool sorted in new[] { false, true })
                        foreach (bool onePass in new[] { false, true })
                        {
                            var c = SpGemm.Multiply(a, b, new SpGemmOptions { Accumulator = acc, Threads = threads, Sorted = sorted, OnePass = onePass });
                            if (!Close(ToArray2(c), expect) || !SameMatrix(c, reference)) return false;
                            if (sorted && !(c.HasSortedIndices && RowsSorted(c))) return false;
                        }
        }
        finally
        {
            SpGemmKernels.WindowSize = savedWindow;
            SpGemmKernels.AutoBitmapMinWork = savedMin;
        }
        return true;
    }

    /// <summary>
    /// Rows with a few entries in a narrow band (width 0–17) that moves along the diagonal like a banded
    /// matrix's, so banded·banded rows span about a tiny ring's width (some exactly, some one more).
    /// </summary>
    private static CsrMatrix<double> BandedCsr(Random rng, int m, int n, out double[,] dense)
    {
        var coo = new CooBuilder<double>(m, n);
        dense = new double[m, n];
        for (int i = 0; i < m; i++)
        {
            if (rng.Next(5) == 0) continue;
            int lo = Math.Clamp(i * n / m + rng.Next(-2, 3), 0, n - 1), width = rng.Next(0, 18);
            for (int e = rng.Next(1, 5); e > 0; e--)
            {
                int j = Math.Min(n - 1, lo + rng.Next(width + 1));
                double v = rng.Next(-4, 5) + 0.5;
                coo.Add(i, j, v);
                dense[i, j] += v;
            }
        }
        return coo.ToCsr();
    }

    /// <summary>
    /// Banded products take the window path when the band fits the ring; otherwise the symbolic phase
    /// (and the numeric one when it checks first) fall back, and the numeric one, when it detects
    /// collisions instead, redoes exactly the rows whose columns share a slot.
    /// </summary>
    [Fact]
    public void WindowPathIsTakenForNarrowBandsOnly()
    {
        var lap = SparseGenerators.Laplacian2D<double>(30, 30); // A·A touches columns i−60 … i+60
        var reference = SpGemm.MultiplyReference(lap, lap);
        int saved = SpGemmKernels.WindowSize;
        bool savedDetect = SpGemmKernels.WindowDetect;
        // Rows whose columns span fewer than w columns, and rows with two columns equal mod w.
        int Narrow(int w)
        {
            int count = 0;
            for (int i = 0; i < reference.Rows; i++)
            {
                var cols = reference.RowIndices(i);
                if (cols.Length > 0 && cols[^1] - cols[0] < w) count++;
            }
            return count;
        }
        int Colliding(int w)
        {
            int count = 0;
            for (int i = 0; i < reference.Rows; i++)
            {
                var cols = reference.RowIndices(i).ToArray();
                if (cols.Select(j => j % w).Distinct().Count() < cols.Length) count++;
            }
            return count;
        }
        try
        {
            foreach (int threads in new[] { 1, 2 })
                foreach (bool detect in new[] { false, true })
                {
                    SpGemmKernels.WindowDetect = detect;
                    SpGemmKernels.WindowSize = 128;
                    var c = SpGemm.Multiply(lap, lap, new SpGemmOptions { Threads = threads }, out var s);
                    Assert.True(SameMatrix(c, reference));
                    Assert.Equal(lap.Rows, s.WindowRows);
                    Assert.Equal(SpGemm.CountMultiplies(lap, lap), s.Multiplies);
                    int ring = detect ? 32 : 64;
                    SpGemmKernels.WindowSize = ring;
                    c = SpGemm.Multiply(lap, lap, new SpGemmOptions { Threads = threads, Accumulator = SpGemmAccumulator.Window }, out s);
                    Assert.True(SameMatrix(c, reference));
                    int expectWindow = detect ? lap.Rows - Colliding(ring) : Narrow(ring);
                    Assert.InRange(expectWindow, 1, lap.Rows - 1);
                    Assert.Equal(expectWindow, s.WindowRows);
                    Assert.Equal(lap.Rows - expectWindow, s.HashRows);
                }
        }
        finally
        {
            SpGemmKernels.WindowSize = saved;
            SpGemmKernels.WindowDetect = savedDetect;
        }
    }

    /// <summary>
    /// Stencil products with rings from 1 to 512 slots: when the symbolic phase puts every short row on the
    /// ring, the numeric phase skips its collision check; otherwise it checks. Both must equal the reference.
    /// </summary>
    [Property(MaxTest = 60)]
    public bool StencilProductsMatchReferenceWithAnyRing(int seed)
    {
        var rng = new Random(seed);
        var a = rng.Next(2) == 0
            ? SparseGenerators.Laplacian2D<double>(rng.Next(1, 13), rng.Next(1, 13))
            : SparseGenerators.Laplacian3D<double>(rng.Next(1, 6), rng.Next(1, 6), rng.Next(1, 6));
        var reference = SpGemm.MultiplyReference(a, a);
        int saved = SpGemmKernels.WindowSize;
        try
        {
            SpGemmKernels.WindowSize = 1 << rng.Next(0, 10);
            foreach (var acc in new[] { SpGemmAccumulator.Auto, SpGemmAccumulator.Window })
                foreach (int threads in new[] { 1, 2 })
                    foreach (bool sorted in new[] { false, true })
                    {
                        var c = SpGemm.Multiply(a, a, new SpGemmOptions { Accumulator = acc, Threads = threads, Sorted = sorted });
                        if (!SameMatrix(c, reference)) return false;
                        if (sorted && !(c.HasSortedIndices && RowsSorted(c))) return false;
                    }
        }
        finally
        {
            SpGemmKernels.WindowSize = saved;
        }
        return true;
    }

    /// <summary>A's nonzeros above the threshold where multiplies are counted in parallel parts.</summary>
    [Fact]
    public void LargeInputsCountMultipliesInParallelParts()
    {
        var lap = SparseGenerators.Laplacian2D<double>(200, 200); // 199,200 nonzeros → several parts
        var reference = SpGemm.MultiplyReference(lap, lap);
        foreach (int threads in new[] { 2, 3 })
            foreach (bool onePass in new[] { false, true })
            {
                var c = SpGemm.Multiply(lap, lap, new SpGemmOptions { Threads = threads, OnePass = onePass }, out var s);
                Assert.True(SameMatrix(c, reference));
                Assert.Equal(SpGemm.CountMultiplies(lap, lap), s.Multiplies);
            }
    }

    [Fact]
    public void MismatchedInnerDimensionsNameBothShapes()
    {
        var a = CsrMatrix<double>.Zeros(3, 4);
        var b = CsrMatrix<double>.Zeros(5, 2);
        var e = Assert.Throws<ArgumentException>(() => SpGemm.Multiply(a, b));
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[5, 2]", e.Message);
    }
}

/// <summary>
/// Tests that set SpGEMM's internal tuning statics (ring size, chunk sizes, segment size) and tests that
/// assert which accumulator ran must not overlap: xunit runs the classes of one collection one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SpGemmTuning
{
    /// <summary>The collection's name.</summary>
    public const string Name = "SpGEMM tuning";
}
