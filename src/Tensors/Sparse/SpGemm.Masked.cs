using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.Sparse;

public static partial class SpGemm
{
    /// <summary>
    /// Masked product <c>C⟨M⟩ = A·B</c> (GraphBLAS's structural mask): only the entries of the product at
    /// positions stored in <paramref name="mask"/> are computed — e.g. triangle counting (<c>A⟨A⟩·A</c>),
    /// or attention scores and link predictions only on a graph's edges — at a cost of the multiplies
    /// whose column the mask keeps, never the full product.
    /// <para>
    /// The mask's values are ignored, only its pattern counts. By default C holds the masked positions
    /// where at least one term a_ik·b_kj exists (an explicit zero is kept when the terms cancel), so C's
    /// pattern is a subset of the mask's. With <paramref name="keepMaskPattern"/> C has exactly the
    /// mask's pattern, 0 where no term exists (a sampled product, as SDDMM and torch.sparse.sampled_addmm
    /// return): one pass, no counting. Rows come out in the mask's column order (sorted when its rows are,
    /// or when <see cref="SpGemmOptions.Sorted"/> asks); <see cref="SpGemmOptions.Threads"/> is honoured,
    /// the accumulator and one-pass options do not apply.
    /// </para>
    /// <para>
    /// Per row i: every column j of mask row i gets its position in the mask in slot j mod R of a ring
    /// marker (R ≤ 2¹⁵ ints, L2-resident however wide B is; a row whose mask columns collide there uses a
    /// full marker of an int per column of B instead); a term a_ik·b_kj counts only if its slot holds a
    /// position in row i's range whose column is j, which needs no clearing between rows. Every term of
    /// A·B is still visited (a row-wise masked product saves the accumulation and the output, not the
    /// scan). Extra memory per thread: the ring (128 KiB), the full marker only if some row needs it, and
    /// sums and hit flags for the longest mask row.
    /// </para>
    /// </summary>
    /// <exception cref="ArgumentException">The inner dimensions differ, or the mask is not A.Rows × B.Columns (both name the shapes).</exception>
    public static CsrMatrix<T> MultiplyMasked<T>(CsrMatrix<T> a, CsrMatrix<T> b, CsrMatrix<T> mask, SpGemmOptions? options, bool keepMaskPattern, out SpGemmStats stats)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a, b);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Rows != a.Rows || mask.Columns != b.Columns)
            throw new ArgumentException($"The mask of A·B must be {a.Rows}×{b.Columns} (A is {a.ShapeText}, B is {b.ShapeText}); it is {mask.ShapeText}.");
        options ??= new SpGemmOptions();
        int m = a.Rows, n = b.Columns;
        int threads = Parallelism.Resolve(options.Threads);
        long t0 = Stopwatch.GetTimestamp();
        int parts = SparseParallel.Parts(a.Nnz + (long)mask.Nnz, threads, minWorkPerPart: 1 << 12) * 8;
        if (threads <= 1) parts = 1;
        var bounds = SparseParallel.SplitByNnz(a.RowPtr, parts, perRow: 4);
        int longestMaskRow = 0;
        for (int i = 0; i < m; i++) longestMaskRow = Math.Max(longestMaskRow, mask.RowPtr[i + 1] - mask.RowPtr[i]);
        var work = new MaskedProduct<T>(a, b, mask, longestMaskRow);

        int[] rp, cols;
        T[] vals;
        long t1;
        if (keepMaskPattern)
        {
            // C's pattern is the mask's: copy it, zero the values and accumulate in place.
            rp = mask.RowPtr.ToArray();
            cols = mask.ColIdx.ToArray();
            vals = new T[mask.Nnz];
            t1 = Stopwatch.GetTimestamp();
            work.Run(bounds, threads, (ws, r0, r1) => work.Sampled(ws, r0, r1, vals));
        }
        else
        {
            // Symbolic: how many masked positions of each row get a term; then C is allocated once and the
            // numeric phase writes each row's hits in mask order.
            rp = new int[m + 1];
            var rowSizes = rp;
            work.Run(bounds, threads, (ws, r0, r1) => work.CountHits(ws, r0, r1, rowSizes));
            for (int i = 0; i < m; i++) rp[i + 1] += rp[i];
            t1 = Stopwatch.GetTimestamp();
            cols = GC.AllocateUninitializedArray<int>(rp[m]);
            vals = GC.AllocateUninitializedArray<T>(rp[m]);
            var (c0, v0) = (cols, vals);
            work.Run(bounds, threads, (ws, r0, r1) => work.Hits(ws, r0, r1, c0, v0, rowSizes));
        }
        long t2 = Stopwatch.GetTimestamp();
        bool sorted = mask.HasSortedIndices;
        if (options.Sorted && !sorted)
        {
            for (int i = 0; i < m; i++) SparseSort.SortRow(cols.AsSpan(rp[i], rp[i + 1] - rp[i]), vals.AsSpan(rp[i], rp[i + 1] - rp[i]));
            sorted = true;
        }
        var c = new CsrMatrix<T>(m, n, rp, cols, vals, sorted);
        stats = new SpGemmStats
        {
            Multiplies = work.Multiplies,
            NnzC = c.Nnz,
            Threads = Math.Min(threads, parts),
            WorkspaceBytes = work.WorkspaceBytes + bounds.Length * sizeof(int),
            OutputBytes = (m + 1L) * sizeof(int) + (long)c.Nnz * (sizeof(int) + Unsafe.SizeOf<T>()),
            SymbolicSeconds = keepMaskPattern ? 0 : Stopwatch.GetElapsedTime(t0, t1).TotalSeconds,
            NumericSeconds = Stopwatch.GetElapsedTime(t1, t2).TotalSeconds,
        };
        return c;
    }

    /// <summary><c>C⟨M⟩ = A·B</c> with default options: see <see cref="MultiplyMasked{T}(CsrMatrix{T}, CsrMatrix{T}, CsrMatrix{T}, SpGemmOptions?, bool, out SpGemmStats)"/>.</summary>
    public static CsrMatrix<T> MultiplyMasked<T>(CsrMatrix<T> a, CsrMatrix<T> b, CsrMatrix<T> mask, bool keepMaskPattern = false, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => MultiplyMasked(a, b, mask, new SpGemmOptions { Threads = threads }, keepMaskPattern, out _);

    /// <summary>Largest ring of the masked product's marker (ints per thread); tests lower it to force collisions.</summary>
    internal static int MaskRingMax = 1 << 15;

    /// <summary>The row kernels of a masked product and its per-thread workspaces.</summary>
    private sealed class MaskedProduct<T>(CsrMatrix<T> a, CsrMatrix<T> b, CsrMatrix<T> mask, int longestMaskRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int[] _arp = a.RowPtr, _aci = a.ColIdx, _brp = b.RowPtr, _bci = b.ColIdx, _mrp = mask.RowPtr, _mci = mask.ColIdx;
        private readonly T[] _av = a.Vals, _bv = b.Vals;
        private long _multiplies, _workspaceBytes;

        /// <summary>Multiplies whose column the mask keeps (the ones performed), summed over all rows.</summary>
        public long Multiplies => Interlocked.Read(ref _multiplies);

        /// <summary>Bytes of all workspaces made.</summary>
        public long WorkspaceBytes => Interlocked.Read(ref _workspaceBytes);

        /// <summary>
        /// Per thread: the marker — position in the mask of column j of the row being done, in slot
        /// j mod its size (a power of two up to 2¹⁵ ints, so it stays in L2 however wide B is) — with the
        /// full per-column marker for rows whose mask columns collide in it, and sums and hit flags per
        /// position of the row.
        /// </summary>
        public sealed class Workspace(int n, int longestRow)
        {
            public readonly int[] Ring = Filled((int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(n, 1, MaskRingMax)));
            private int[]? _full;
            /// <summary>A power of two ≥ n, so that j &amp; (length − 1) = j.</summary>
            public int[] Full => _full ??= Filled((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(n, 1)));
            public readonly T[] Sums = new T[longestRow];
            public readonly bool[] Hit = new bool[longestRow];
            public long Multiplies;
            public long Bytes => (Ring.Length + (_full?.Length ?? 0)) * (long)sizeof(int) + (long)Sums.Length * (Unsafe.SizeOf<T>() + 1);

            private static int[] Filled(int n)
            {
                var x = new int[n];
                Array.Fill(x, -1);
                return x;
            }
        }

        /// <summary>Runs <paramref name="rows"/> on every part of rows: workers take parts from a shared counter, one workspace each.</summary>
        public void Run(int[] bounds, int threads, Action<Workspace, int, int> rows)
        {
            int parts = bounds.Length - 1, next = -1;
            void Worker(int w)
            {
                var ws = new Workspace(b.Columns, longestMaskRow);
                int p;
                while ((p = Interlocked.Increment(ref next)) < parts)
                    rows(ws, bounds[p], bounds[p + 1]);
                Interlocked.Add(ref _multiplies, ws.Multiplies);
                Interlocked.Add(ref _workspaceBytes, ws.Bytes);
            }
            int workers = Math.Min(threads, parts);
            if (workers <= 1) Worker(0);
            else Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Worker);
        }

        /// <summary>
        /// Marks row i's mask columns with their mask positions, in the ring unless two of them share a slot
        /// (then in the full marker); returns the marker to use. A slot matches column j only if the position
        /// it holds lies in row i's range and that mask entry's column is j — no clearing between rows.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int[] MarkRow(Workspace ws, int i)
        {
            int m0 = _mrp[i], m1 = _mrp[i + 1];
            int[] ring = ws.Ring;
            int mask = ring.Length - 1;
            for (int p = m0; p < m1; p++)
            {
                ref int slot = ref ring[_mci[p] & mask];
                if ((uint)(slot - m0) < (uint)(m1 - m0)) // taken by an earlier column of this row
                {
                    int[] full = ws.Full;
                    for (int r = m0; r < m1; r++) full[_mci[r]] = r;
                    return full;
                }
                slot = p;
            }
            return ring;
        }

        /// <summary>Symbolic, rows [r0, r1): rowSizes[i+1] = how many of row i's masked positions get at least one term.</summary>
        // Compiled fully optimised at once: a product of tens of ms would otherwise run mostly in tier-0 code.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void CountHits(Workspace ws, int r0, int r1, int[] rowSizes)
        {
            for (int i = r0; i < r1; i++) rowSizes[i + 1] = CountHits(ws, i);
        }

        // Indices below are unchecked (Unsafe.Add): every one was validated when the CSR matrices were built,
        // marker slots are masked to the marker's power-of-two length, and q lies in row i's mask range.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int CountHits(Workspace ws, int i)
        {
            int m0 = _mrp[i], m1 = _mrp[i + 1];
            if (m0 == m1) return 0;
            int[] markerArray = MarkRow(ws, i);
            ref int marker = ref MemoryMarshal.GetArrayDataReference(markerArray);
            ref int aci = ref MemoryMarshal.GetArrayDataReference(_aci);
            ref int brp = ref MemoryMarshal.GetArrayDataReference(_brp);
            ref int bci = ref MemoryMarshal.GetArrayDataReference(_bci);
            ref int mci = ref MemoryMarshal.GetArrayDataReference(_mci);
            int slots = markerArray.Length - 1, hits = 0, pa1 = _arp[i + 1];
            uint length = (uint)(m1 - m0);
            for (int pa = _arp[i]; pa < pa1; pa++)
            {
                int k = Unsafe.Add(ref aci, pa);
                int pb1 = Unsafe.Add(ref brp, k + 1);
                for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
                {
                    int j = Unsafe.Add(ref bci, pb);
                    ref int q = ref Unsafe.Add(ref marker, j & slots);
                    if ((uint)(q - m0) < length && Unsafe.Add(ref mci, q) == j)
                    {
                        hits++;
                        q = -1; // counted: later terms of this column no longer match
                    }
                }
            }
            return hits;
        }

        /// <summary>Numeric, rows [r0, r1): each row's hits in mask order into cols/vals from its row pointer.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Hits(Workspace ws, int r0, int r1, int[] cols, T[] vals, int[] rowPtr)
        {
            for (int i = r0; i < r1; i++) Hits(ws, i, cols, vals, rowPtr[i]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Hits(Workspace ws, int i, int[] cols, T[] vals, int start)
        {
            int m0 = _mrp[i], m1 = _mrp[i + 1];
            if (m0 == m1) return;
            ws.Multiplies += Accumulate(ws, i, m0, m1, ws.Sums, m0, flagHits: true);
            int next = start;
            for (int t = 0; t < m1 - m0; t++)
            {
                if (!ws.Hit[t]) continue;
                cols[next] = _mci[m0 + t];
                vals[next++] = ws.Sums[t];
                ws.Hit[t] = false;
                ws.Sums[t] = T.Zero;
            }
        }

        /// <summary>Sampled, rows [r0, r1): each row's sums straight into the mask-shaped values (zeroed beforehand).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Sampled(Workspace ws, int r0, int r1, T[] vals)
        {
            for (int i = r0; i < r1; i++)
            {
                int m0 = _mrp[i], m1 = _mrp[i + 1];
                if (m0 != m1) ws.Multiplies += Accumulate(ws, i, m0, m1, vals, 0, flagHits: false);
            }
        }

        /// <summary>
        /// Adds every kept term of row i into sums[position − <paramref name="offset"/>] (position in the mask) and,
        /// if asked, flags its hit; returns the multiplies done.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private long Accumulate(Workspace ws, int i, int m0, int m1, T[] sums, int offset, bool flagHits)
        {
            int[] markerArray = MarkRow(ws, i);
            ref int marker = ref MemoryMarshal.GetArrayDataReference(markerArray);
            ref int aci = ref MemoryMarshal.GetArrayDataReference(_aci);
            ref T av = ref MemoryMarshal.GetArrayDataReference(_av);
            ref int brp = ref MemoryMarshal.GetArrayDataReference(_brp);
            ref int bci = ref MemoryMarshal.GetArrayDataReference(_bci);
            ref T bv = ref MemoryMarshal.GetArrayDataReference(_bv);
            ref int mci = ref MemoryMarshal.GetArrayDataReference(_mci);
            ref T sum = ref MemoryMarshal.GetArrayDataReference(sums);
            ref bool hit = ref MemoryMarshal.GetArrayDataReference(ws.Hit);
            int slots = markerArray.Length - 1, pa1 = _arp[i + 1];
            uint length = (uint)(m1 - m0);
            long mult = 0;
            for (int pa = _arp[i]; pa < pa1; pa++)
            {
                int k = Unsafe.Add(ref aci, pa);
                T a = Unsafe.Add(ref av, pa);
                int pb1 = Unsafe.Add(ref brp, k + 1);
                for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
                {
                    int j = Unsafe.Add(ref bci, pb);
                    int q = Unsafe.Add(ref marker, j & slots);
                    if ((uint)(q - m0) >= length || Unsafe.Add(ref mci, q) != j) continue;
                    Unsafe.Add(ref sum, q - offset) += a * Unsafe.Add(ref bv, pb);
                    if (flagHits) Unsafe.Add(ref hit, q - m0) = true;
                    mult++;
                }
            }
            return mult;
        }
    }
}
