using System.Diagnostics;
using System.Numerics;

namespace NativeFree.Tensors.Sparse;

/// <summary>How <see cref="SpGemm"/> accumulates one output row.</summary>
public enum SpGemmAccumulator
{
    /// <summary>Chosen per row by its flop count: hash for short rows, dense for long ones.</summary>
    Auto,
    /// <summary>Every row through the dense accumulator: values over all columns of B plus a bitmap (rows come out sorted).</summary>
    Dense,
    /// <summary>Every row through the marker array: per column of B, its position in C within the current row (branch-free, writes straight into C).</summary>
    Marker,
    /// <summary>Every row through an open-addressing hash table sized to a power of two above the row's work.</summary>
    Hash,
    /// <summary>
    /// Rows whose columns lie in a window narrower than the per-thread ring (2¹⁵ columns, e.g. banded and
    /// stencil matrices) through a ring marker indexed by column mod the ring size; other rows through the
    /// hash table (short) or the dense accumulator (long).
    /// </summary>
    Window,
}

/// <summary>Options for <see cref="SpGemm.Multiply{T}(CsrMatrix{T}, CsrMatrix{T}, SpGemmOptions)"/>.</summary>
public sealed record SpGemmOptions
{
    /// <summary>Threads to use; null or ≤ 0 means <see cref="Parallelism.MaxDegree"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>Sort the column indices of every output row (costs a per-row sort; off by default, like SciPy).</summary>
    public bool Sorted { get; init; }

    /// <summary>
    /// False (default): a symbolic phase counts every row exactly, C is allocated once and the
    /// numeric phase writes straight into it; the extra memory is only the per-thread workspaces.
    /// True: one pass — each thread computes its rows into its own segments (room bounded by each
    /// row's multiplies, or counted exactly for long rows) and the rows are then copied into C; the
    /// extra memory is about the size of C. Measured slower on this machine (the segments' page
    /// faults and the copy cost more than the symbolic phase saves); kept for comparison.
    /// </summary>
    public bool OnePass { get; init; }

    /// <summary>Accumulator policy; <see cref="SpGemmAccumulator.Auto"/> unless testing.</summary>
    public SpGemmAccumulator Accumulator { get; init; } = SpGemmAccumulator.Auto;
}

/// <summary>What one SpGEMM did: work, output size, time per phase and the memory it needed besides the output.</summary>
public sealed record SpGemmStats
{
    /// <summary>Scalar multiplies: Σ over stored a_ik of nnz(row k of B).</summary>
    public long Multiplies { get; init; }
    /// <summary>Stored entries of the product.</summary>
    public long NnzC { get; init; }
    /// <summary>Threads used.</summary>
    public int Threads { get; init; }
    /// <summary>Rows accumulated with the hash table (numeric phase).</summary>
    public long HashRows { get; init; }
    /// <summary>Rows accumulated with the marker array (numeric phase).</summary>
    public long MarkerRows { get; init; }
    /// <summary>Rows accumulated with the window (ring marker) accumulator (numeric phase).</summary>
    public long WindowRows { get; init; }
    /// <summary>Rows accumulated with the dense value array and bitmap (numeric phase).</summary>
    public long DenseRows { get; init; }
    /// <summary>Rows copied directly (one stored entry in A's row).</summary>
    public long CopiedRows { get; init; }
    /// <summary>Bytes allocated besides the output arrays: per-thread workspaces, the partition and (one pass) the segments.</summary>
    public long WorkspaceBytes { get; init; }
    /// <summary>Bytes of the output (row pointers, column indices, values).</summary>
    public long OutputBytes { get; init; }
    /// <summary>Seconds in the flop-count pass.</summary>
    public double FlopSeconds { get; init; }
    /// <summary>Seconds in the symbolic phase (exact row sizes); zero in one pass.</summary>
    public double SymbolicSeconds { get; init; }
    /// <summary>Seconds in the numeric phase.</summary>
    public double NumericSeconds { get; init; }
    /// <summary>Seconds copying the per-thread segments into C (one pass only).</summary>
    public double CopySeconds { get; init; }
}

/// <summary>
/// Sparse × sparse products <c>C = A·B</c> for CSR matrices (row-wise Gustavson).
/// <para>
/// The plan, per call: (1) count each output row's multiplies (O(nnz A)), kept in C's row-pointer
/// array; (2) cut the rows into contiguous chunks of about equal multiplies, which threads take
/// dynamically; (3) symbolic phase: each row's exact nnz; (4) allocate C exactly once and
/// (5) numeric phase: each row is accumulated straight into its slice of C.
/// </para>
/// <para>
/// The accumulator is chosen per row by its work (see <see cref="SpGemmKernels"/>): long rows use a
/// dense value array plus a bitmap of touched columns (symbolic = OR + popcount; numeric emits the
/// bitmap in column order, so those rows come out sorted for free); short rows use a branch-free
/// marker array (an int per column of B holding the column's position in C), a ring marker indexed by
/// column mod 2¹⁵ when the row's columns lie in a narrower window (stencils, banded matrices) or, when B
/// is wide, an L1-sized open-addressing hash table; rows of A with one entry are scaled copies of a row of B.
/// Workspaces are allocated once per thread, never per row, each array only if a row needs it:
/// extra memory besides C is at most about 13 bytes per column of B per thread plus 160 KiB.
/// </para>
/// </summary>
public static partial class SpGemm
{
    /// <summary><c>A·B</c>, unsorted rows unless <paramref name="sorted"/>.</summary>
    public static CsrMatrix<T> Multiply<T>(CsrMatrix<T> a, CsrMatrix<T> b, bool sorted = false, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(a, b, new SpGemmOptions { Sorted = sorted, Threads = threads }, out _);

    /// <summary><c>A·B</c> with explicit options.</summary>
    public static CsrMatrix<T> Multiply<T>(CsrMatrix<T> a, CsrMatrix<T> b, SpGemmOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(a, b, options, out _);

    /// <summary><c>A·Bᵀ</c> (e.g. <c>A·Aᵀ</c>, a Gram matrix of sparse rows): B is transposed once (O(nnz)) and multiplied.</summary>
    public static CsrMatrix<T> MultiplyTransposed<T>(CsrMatrix<T> a, CsrMatrix<T> b, SpGemmOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Columns != b.Columns)
            throw new ArgumentException($"A·Bᵀ needs equal column counts: A is {a.ShapeText}, B is {b.ShapeText}.");
        return Multiply(a, b.Transpose(), options ?? new SpGemmOptions(), out _);
    }

    /// <summary>Number of scalar multiplies of <c>A·B</c> (half its flops).</summary>
    public static long CountMultiplies<T>(CsrMatrix<T> a, CsrMatrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a, b);
        long total = 0;
        int[] brp = b.RowPtr;
        foreach (int k in a.ColIdx) total += brp[k + 1] - brp[k];
        return total;
    }

    private static void CheckShapes<T>(CsrMatrix<T> a, CsrMatrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Columns != b.Rows)
            throw new ArgumentException($"SpGEMM inner dimensions differ: A is {a.ShapeText}, B is {b.ShapeText} ({a.Columns} vs {b.Rows}).");
    }

    /// <summary><c>A·B</c> with options, reporting what it did in <paramref name="stats"/>.</summary>
    public static CsrMatrix<T> Multiply<T>(CsrMatrix<T> a, CsrMatrix<T> b, SpGemmOptions options, out SpGemmStats stats)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a, b);
        ArgumentNullException.ThrowIfNull(options);
        int m = a.Rows, n = b.Columns;
        int threads = Parallelism.Resolve(options.Threads);
        long t0 = Stopwatch.GetTimestamp();

        // (1) Multiplies per row. Two-phase products count them inside the symbolic phase, row by row
        // while the row's data is in cache, instead of in a pass of their own over A (on the 2-D
        // Laplacian that pass plus the serial split cost 5 ms of a 48 ms two-thread product).
        // One pass needs them first (they size each row's room): they go into C's row pointers
        // (rp[i+1]), clamped to int — the count only chooses the accumulator and balances the threads.
        var rp = new int[m + 1];
        bool fuseFlops = !options.OnePass && (threads <= 1 || FuseFlopCount);
        long multiplies = fuseFlops ? 0 : CountRowFlops(a, b, rp, threads);

        // (2) Contiguous chunks of rows, taken dynamically from a shared counter. Many more chunks than
        // threads keep the tail short: the rows' costs are not proportional to any cheap count (output
        // writes, bitmap scans). Without flop counts the chunks hold about equal nonzeros of A and are
        // smaller (up to FusedChunksPerThread each), so that rows of skewed cost still spread evenly.
        int chunks;
        int[] bounds;
        if (threads <= 1) (chunks, bounds) = (1, [0, m]);
        else if (fuseFlops)
        {
            chunks = (int)Math.Clamp(a.Nnz / FusedChunkNnz, 1, (long)FusedChunksPerThread * threads);
            bounds = SparseParallel.SplitByNnz(a.RowPtr, chunks, perRow: 4);
        }
        else
        {
            chunks = (int)Math.Clamp(multiplies / 50_000, 1, (long)ChunksPerThread * threads);
            bounds = SplitByFlops(rp, multiplies, chunks);
        }
        int workers = Math.Min(threads, chunks);
        long t1 = Stopwatch.GetTimestamp();

        var ctx = new Context<T>(a, b, rp, options.Accumulator, options.Sorted) { FlopsKnown = !fuseFlops, Workspaces = new Workspace<T>?[workers] };
        long t2, t3, segmentBytes = 0;
        if (!options.OnePass)
        {
            // (3) Symbolic phase: rp[i+1] = nnz of row i; then allocate C once (uninitialised:
            // every slot is written) and (4) fill it in the numeric phase.
            ctx.WindowAllFit = true;
            RunChunks(workers, chunks, bounds, n, ctx, Phase.Symbolic, null);
            if (fuseFlops) multiplies = ctx.Multiplies;
            long total0 = PrefixSum(rp, a, b);
            t2 = Stopwatch.GetTimestamp();
            ctx.Cols = GC.AllocateUninitializedArray<int>((int)total0);
            ctx.Vals = GC.AllocateUninitializedArray<T>((int)total0);
            RunChunks(workers, chunks, bounds, n, ctx, Phase.Numeric, null);
            t3 = Stopwatch.GetTimestamp();
        }
        else
        {
            // (3) One pass into per-thread segments, rp[i+1] = nnz of row i; (4) allocate C once
            // and copy each contiguous run of rows from its segment.
            var pieces = new List<Piece<T>>[chunks];
            for (int ch = 0; ch < chunks; ch++) pieces[ch] = new List<Piece<T>>();
            segmentBytes = RunChunks(workers, chunks, bounds, n, ctx, Phase.OnePass, pieces);
            long total1 = PrefixSum(rp, a, b);
            t2 = Stopwatch.GetTimestamp();
            ctx.Cols = GC.AllocateUninitializedArray<int>((int)total1);
            ctx.Vals = GC.AllocateUninitializedArray<T>((int)total1);
            SparseParallel.For(chunks, workers, ch =>
            {
                foreach (var piece in pieces[ch])
                {
                    int dst = rp[piece.Row0], len = rp[piece.Row1] - dst;
                    Array.Copy(piece.Cols, piece.Offset, ctx.Cols, dst, len);
                    Array.Copy(piece.Vals, piece.Offset, ctx.Vals, dst, len);
                }
            });
            t3 = Stopwatch.GetTimestamp();
        }
        long total = rp[m];

        // Dense-accumulator rows come out sorted; copied rows are sorted when B's are.
        var rc = ctx.Counts;
        bool sorted = options.Sorted || (rc.Hash == 0 && rc.Marker == 0 && rc.Window == 0 && (rc.Copied == 0 || b.HasSortedIndices));
        var c = new CsrMatrix<T>(m, n, rp, ctx.Cols, ctx.Vals, sorted);
        long workspace = ctx.WorkspaceBytes + bounds.Length * sizeof(int) + segmentBytes;
        bool sym = !options.OnePass;
        stats = new SpGemmStats
        {
            Multiplies = multiplies,
            NnzC = total,
            Threads = workers,
            HashRows = rc.Hash,
            MarkerRows = rc.Marker,
            WindowRows = rc.Window,
            DenseRows = rc.Bitmap,
            CopiedRows = rc.Copied,
            WorkspaceBytes = workspace,
            OutputBytes = (m + 1L) * sizeof(int) + total * (sizeof(int) + System.Runtime.CompilerServices.Unsafe.SizeOf<T>()),
            FlopSeconds = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds,
            SymbolicSeconds = sym ? Stopwatch.GetElapsedTime(t1, t2).TotalSeconds : 0,
            NumericSeconds = sym ? Stopwatch.GetElapsedTime(t2, t3).TotalSeconds : Stopwatch.GetElapsedTime(t1, t2).TotalSeconds,
            CopySeconds = sym ? 0 : Stopwatch.GetElapsedTime(t2, t3).TotalSeconds,
        };
        return c;
    }

    /// <summary>Chunks per thread at most when the chunks are cut by flop counts (one pass, or <see cref="FuseFlopCount"/> off).</summary>
    internal static int ChunksPerThread = 32;

    /// <summary>Chunks per thread at most when they are cut by A's nonzeros (flops counted in the symbolic phase).</summary>
    internal static int FusedChunksPerThread = 128;

    /// <summary>Nonzeros of A per chunk at least when the chunks are cut by A's nonzeros.</summary>
    internal static long FusedChunkNnz = 2048;

    /// <summary>Count flops inside the symbolic phase on every thread count (tests and measurements turn it off).</summary>
    internal static bool FuseFlopCount = true;

    /// <summary>rp[i+1] = multiplies of row i (clamped to int); returns the total. Split over threads by A's nonzeros when large.</summary>
    private static long CountRowFlops<T>(CsrMatrix<T> a, CsrMatrix<T> b, int[] rp, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = SparseParallel.Parts(a.Nnz, threads, minWorkPerPart: 1 << 16);
        if (parts <= 1) return CountRowFlops(a, b, rp, 0, a.Rows);
        var bounds = SparseParallel.SplitByNnz(a.RowPtr, parts, perRow: 0);
        var totals = new long[parts];
        SparseParallel.For(parts, threads, p => totals[p] = CountRowFlops(a, b, rp, bounds[p], bounds[p + 1]));
        long total = 0;
        foreach (long t in totals) total += t;
        return total;
    }

    private static long CountRowFlops<T>(CsrMatrix<T> a, CsrMatrix<T> b, int[] rp, int r0, int r1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] arp = a.RowPtr, aci = a.ColIdx, brp = b.RowPtr;
        long total = 0;
        for (int i = r0; i < r1; i++)
        {
            long f = 0;
            for (int p = arp[i]; p < arp[i + 1]; p++)
            {
                int k = aci[p];
                f += brp[k + 1] - brp[k];
            }
            rp[i + 1] = (int)Math.Min(f, int.MaxValue);
            total += f;
        }
        return total;
    }

    // Chunk boundaries by cumulative (row multiplies + 16): the constant keeps chunks of
    // empty rows from being unbounded in length.
    private static int[] SplitByFlops(int[] rp, long multiplies, int chunks)
    {
        int m = rp.Length - 1;
        var bounds = new int[chunks + 1];
        bounds[chunks] = m;
        if (chunks == 1) return bounds;
        long total = multiplies + 16L * m, acc = 0;
        int c = 1;
        for (int i = 0; i < m && c < chunks; i++)
        {
            acc += rp[i + 1] + 16L;
            while (c < chunks && acc >= total * c / chunks) bounds[c++] = i + 1;
        }
        while (c < chunks) bounds[c++] = m;
        return bounds;
    }

    /// <summary>Row sizes in rp[1..] → row pointers, with the CSR size limit checked.</summary>
    private static long PrefixSum<T>(int[] rp, CsrMatrix<T> a, CsrMatrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long total = 0;
        for (int i = 1; i < rp.Length; i++)
        {
            total += rp[i];
            if (total > CsrMatrix<T>.MaxNnz)
                throw new ArgumentException($"The product of A {a.ShapeText} and B {b.ShapeText} has more than {CsrMatrix<T>.MaxNnz} nonzeros (the CSR limit).");
            rp[i] = (int)total;
        }
        return total;
    }

    private enum Phase { Symbolic, Numeric, OnePass }

    /// <summary>
    /// Runs a phase: workers claim runs of consecutive chunks, in increasing order, from a shared counter
    /// (guided self-scheduling: each claim takes about 1/(2·workers) of the chunks left, at least one).
    /// The first claims are long runs of rows — on banded matrices a worker then streams through B's
    /// window once instead of re-warming its caches at every small chunk — and the last ones are single
    /// chunks, so the tail stays short. Returns the segment bytes allocated (one pass).
    /// </summary>
    private static long RunChunks<T>(int workers, int chunks, int[] bounds, int n, Context<T> ctx, Phase phase, List<Piece<T>>[]? pieces)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int next = 0;
        long segmentBytes = 0;
        void Worker(int w)
        {
            // One workspace per worker for the whole product: the symbolic phase leaves the bitmap and
            // hash table clear; the marker and ring hold row stamps, which the numeric phase would read
            // as positions, so they are reset.
            var ws = ctx.Workspaces[w] ??= new Workspace<T>(n);
            if (phase != Phase.Symbolic && ws.HasMarks) ws.ResetMarks();
            var seg = phase == Phase.OnePass ? new SegmentWriter<T>() : null;
            var counts = new RowCounts();
            long flops = 0;
            while (ClaimChunks(ref next, chunks, workers, out int c, out int end))
            {
                switch (phase)
                {
                    case Phase.Symbolic: flops += SpGemmKernels.Symbolic(ctx, ws, bounds[c], bounds[end]); break;
                    case Phase.Numeric: SpGemmKernels.Numeric(ctx, ws, bounds[c], bounds[end], ref counts); break;
                    default: SpGemmKernels.NumericOnePass(ctx, ws, seg!, bounds[c], bounds[end], pieces![c], ref counts); break;
                }
            }
            lock (ctx)
            {
                ctx.Counts.Add(counts);
                ctx.Multiplies += flops;
                if (seg is not null) segmentBytes += seg.AllocatedBytes;
                ctx.WorkspaceBytes = 0;
                foreach (var x in ctx.Workspaces) ctx.WorkspaceBytes += x?.Bytes ?? 0;
            }
        }
        if (workers <= 1) Worker(0);
        else Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Worker);
        return segmentBytes;
    }

    /// <summary>Claims chunks [first, end) from the shared counter (guided: about a 1/(2·workers) share of those left); false when none are left.</summary>
    internal static bool ClaimChunks(ref int next, int chunks, int workers, out int first, out int end)
    {
        int seen = Volatile.Read(ref next);
        while (true)
        {
            first = seen;
            if (first >= chunks)
            {
                end = first;
                return false;
            }
            end = first + Math.Max(1, (chunks - first) / (2 * workers));
            seen = Interlocked.CompareExchange(ref next, end, first);
            if (seen == first) return true;
        }
    }

    /// <summary>A run of rows [Row0, Row1) stored contiguously from <c>Offset</c> in one segment.</summary>
    internal readonly record struct Piece<T>(int[] Cols, T[] Vals, int Offset, int Row0, int Row1);

    /// <summary>
    /// A thread's output segments in one pass: a new segment is allocated only when a row's reserve
    /// does not fit, sized to the remaining work of the chunk (at most <see cref="MaxSegment"/>
    /// entries unless one row needs more), so the segments add up to about the size of C.
    /// </summary>
    internal sealed class SegmentWriter<T> where T : unmanaged
    {
        /// <summary>Largest segment (entries) unless one row needs more; tests lower it to force many segments.</summary>
        internal static int MaxSegment = 1 << 20;
        public int[] Cols = [];
        public T[] Vals = [];
        public int Used;
        public long AllocatedBytes;

        public int Capacity => Cols.Length;

        /// <summary>Starts a new segment with room for at least <paramref name="reserve"/> entries, ideally <paramref name="hint"/>.</summary>
        public void Next(int reserve, long hint)
        {
            int cap = (int)Math.Max(reserve, Math.Clamp(hint, Math.Min(1024, MaxSegment), MaxSegment));
            Cols = GC.AllocateUninitializedArray<int>(cap);
            Vals = GC.AllocateUninitializedArray<T>(cap);
            Used = 0;
            AllocatedBytes += (long)cap * (sizeof(int) + System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        }
    }

    /// <summary>Everything the kernels share for one product.</summary>
    internal sealed class Context<T>(CsrMatrix<T> a, CsrMatrix<T> b, int[] rp, SpGemmAccumulator policy, bool sorted)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly int[] Arp = a.RowPtr, Aci = a.ColIdx, Brp = b.RowPtr, Bci = b.ColIdx, Crp = rp;
        public readonly T[] Av = a.Vals, Bv = b.Vals;
        public readonly int N = b.Columns;
        public readonly bool BSorted = b.HasSortedIndices;
        public readonly SpGemmAccumulator Policy = policy;
        public readonly bool Sorted = sorted;
        /// <summary>Crp[i+1] holds row i's multiplies before the symbolic phase (false: the symbolic phase counts them).</summary>
        public bool FlopsKnown = true;
        /// <summary>
        /// Set before the symbolic phase, cleared by it when any row with two or more multiplies (and two or
        /// more entries of A) did not go to the window accumulator: while it stays set, every row the numeric
        /// phase sends to the ring is known to fit it, and the collision check is skipped.
        /// </summary>
        public bool WindowAllFit;
        /// <summary>Multiplies counted by the symbolic phase when <see cref="FlopsKnown"/> is false.</summary>
        public long Multiplies;
        public int[] Cols = [];
        public T[] Vals = [];
        public RowCounts Counts;
        public long WorkspaceBytes;
        /// <summary>Per-worker scratch, kept from the symbolic to the numeric phase.</summary>
        public Workspace<T>?[] Workspaces = [];
    }

    /// <summary>How many rows each accumulator handled (numeric phase).</summary>
    internal struct RowCounts
    {
        public long Hash, Marker, Bitmap, Copied, Window;

        public void Add(RowCounts o) { Hash += o.Hash; Marker += o.Marker; Bitmap += o.Bitmap; Copied += o.Copied; Window += o.Window; }
    }

    /// <summary>
    /// Per-thread scratch, allocated once per phase (never per row), each array only when the first
    /// row that needs it arrives: the bitmap over B's columns (n/8 bytes) and value array (n·sizeof(T),
    /// numeric phase) of the dense accumulator, the marker array (4n bytes), and the hash table.
    /// </summary>
    internal sealed class Workspace<T> where T : unmanaged
    {
        /// <summary>Rows with at most this many multiplies (symbolic) or entries (numeric) may use the hash table.</summary>
        public const int HashMaxWork = 2048;
        /// <summary>Table capacity: a power of two at least twice <see cref="HashMaxWork"/>.</summary>
        public const int HashCapacity = 4096;

        private readonly int _n;
        private ulong[]? _bits;
        private T[]? _sums;
        private int[]? _marks, _keys, _slots, _ring;
        /// <summary>The marker or ring array holds positions in the current output array (one pass: reset them when it changes).</summary>
        public bool MarksDirty;

        /// <summary>Bytes allocated so far.</summary>
        public long Bytes { get; private set; }

        public Workspace(int n)
        {
            _n = n;
            RingSize = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(n, 1, Math.Max(1, SpGemmKernels.WindowSize)));
        }

        public ulong[] Bits => _bits ??= Alloc(new ulong[(_n + 63) >> 6]);
        public T[] Sums => _sums ??= Alloc(new T[_n]);
        public int[] Marks => _marks ??= Filled(_n);
        public int[] Keys => _keys ??= Filled(HashCapacity);
        public int[] Slots => _slots ??= Alloc(new int[HashCapacity]);
        /// <summary>Ring marker of the window accumulator: a power of two ≥ min(n, <see cref="SpGemmKernels.WindowSize"/>) ints.</summary>
        public int[] Ring => _ring ??= Filled(RingSize);

        /// <summary>Ring length, fixed when the workspace is made: a power of two ≥ min(n, <see cref="SpGemmKernels.WindowSize"/>).</summary>
        public readonly int RingSize;

        /// <summary>Whether the marker or ring array exists.</summary>
        public bool HasMarks => _marks is not null || _ring is not null;

        /// <summary>Forgets every position stored in the marker and ring arrays.</summary>
        public void ResetMarks()
        {
            if (_marks is not null) Array.Fill(_marks, -1);
            if (_ring is not null) Array.Fill(_ring, -1);
            MarksDirty = false;
        }

        private int[] Filled(int length)
        {
            var a = Alloc(new int[length]);
            Array.Fill(a, -1);
            return a;
        }

        private TA[] Alloc<TA>(TA[] a) where TA : unmanaged
        {
            Bytes += (long)a.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<TA>();
            return a;
        }
    }
}
