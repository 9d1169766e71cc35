using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// The hot loops of <see cref="SpGemm"/>. Bounds checks are removed with <see cref="Unsafe.Add{T}(ref T, int)"/>
/// on array data references: every index used here was validated when the CSR matrices were built
/// (columns &lt; n, row pointers monotone), and positions in C come from the exact symbolic row sizes.
/// <para>Four row accumulators, chosen per row (<see cref="Choose{T}(SpGemm.Context{T}, SpGemm.Workspace{T}, int, int, int)"/>):</para>
/// <list type="bullet">
/// <item><b>Bitmap</b> (long rows): values in a dense array plus a bitmap of touched columns. Symbolic is
/// one OR per multiply and a popcount; numeric emits the set bits between the row's smallest and
/// largest column, so rows come out sorted with no sort.</item>
/// <item><b>Marker</b> (short rows): an int per column of B. Symbolic stamps it with the row number;
/// numeric stores there the position in C where the column was first written in this row, and
/// accumulates straight into C. Both loops are branch-free.</item>
/// <item><b>Hash</b>: open addressing in an L1-sized power-of-two table, also writing straight into C.</item>
/// <item><b>Window</b> (short rows whose columns lie in a narrow window): a ring marker indexed by column
/// mod the ring size, stamped with the row (symbolic) or holding positions in C (numeric); no clearing.</item>
/// </list>
/// </summary>
internal static class SpGemmKernels
{
    internal enum RowKind { Hash, Marker, Bitmap, Window }

    /// <summary>
    /// Ring size of the window accumulator (a power of two): rows whose columns span fewer columns use
    /// it. 2¹⁵ ints (128 KiB per thread) covers the 3-D 7-point Laplacian 64³ (window 2·64²·2+1) and stays in L2.
    /// Tests lower it so that the ring wraps and wide rows fall back.
    /// </summary>
    internal static int WindowSize = 1 << 15;

    /// <summary>Auto policy: rows with at least this much work (multiplies or nnz) per bitmap word in range use the bitmap.</summary>
    internal static int AutoBitmapMinWork = ReadTuning("NATIVEFREE_SPGEMM_BITMAPMIN", 256);

    private static int ReadTuning(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : fallback;

    /// <summary>Auto policy: from this many columns of B on, the marker array (4 bytes per column) outgrows L2 and short rows use the hash table (measured faster on both Laplacians).</summary>
    internal static int AutoHashMinColumns = ReadTuning("NATIVEFREE_SPGEMM_HASHMINCOLS", 1 << 17);

    /// <summary>Auto policy: short rows use the window accumulator when their columns fit the ring (off: NATIVEFREE_SPGEMM_WINDOW=0, for comparison).</summary>
    internal static bool AutoWindow = ReadTuning("NATIVEFREE_SPGEMM_WINDOW", 1) != 0;

    /// <summary>Numeric phase: try the ring on short rows and detect collisions instead of checking the window first (NATIVEFREE_SPGEMM_WINDOWDETECT=0: check first).</summary>
    internal static bool WindowDetect = ReadTuning("NATIVEFREE_SPGEMM_WINDOWDETECT", 1) != 0;

    /// <summary>Whether the policy sends a row with this much work to the window accumulator when it fits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WantsWindow<T>(SpGemm.Context<T> ctx, int work) where T : unmanaged, IFloatingPointIeee754<T>
        => ctx.Policy == SpGemmAccumulator.Window || (ctx.Policy == SpGemmAccumulator.Auto && AutoWindow && work < AutoBitmapMinWork);

    /// <summary>The accumulator for a row of A (entries [pa0, pa1)) with <paramref name="work"/> multiplies (symbolic) or entries (numeric).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static RowKind Choose<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int work, int pa0, int pa1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        return ChooseKind(ctx, work, WantsWindow(ctx, work) && WindowFits(ctx, ws.RingSize, pa0, pa1));
    }

    /// <summary>The accumulator for a row, given whether its columns fit the ring (only read by the Window and Auto policies).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RowKind ChooseKind<T>(SpGemm.Context<T> ctx, int work, bool fits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (ctx.Policy)
        {
            case SpGemmAccumulator.Hash: return work <= SpGemm.Workspace<byte>.HashMaxWork ? RowKind.Hash : RowKind.Bitmap;
            case SpGemmAccumulator.Marker: return RowKind.Marker;
            case SpGemmAccumulator.Dense: return RowKind.Bitmap;
            case SpGemmAccumulator.Window:
                return fits ? RowKind.Window : work <= SpGemm.Workspace<byte>.HashMaxWork ? RowKind.Hash : RowKind.Bitmap;
            default:
                // Long rows amortise the bitmap scan. Short ones: the ring marker when their columns lie
                // in a narrow window (it stays in L2 and needs no hashing), else the marker array while
                // it stays in cache, else an L1 hash table.
                if (work >= AutoBitmapMinWork) return RowKind.Bitmap;
                if (AutoWindow && fits) return RowKind.Window;
                return ctx.N >= AutoHashMinColumns ? RowKind.Hash : RowKind.Marker;
        }
    }

    /// <summary>
    /// Whether all columns the row can touch lie in a window of fewer than <paramref name="ringSize"/>
    /// columns (the workspace's ring): always when B is that narrow; otherwise read from the first and last column of each
    /// B row involved, which needs sorted B rows (unsorted B: no).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WindowFits<T>(SpGemm.Context<T> ctx, int ringSize, int pa0, int pa1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ctx.N <= ringSize) return true;
        if (!ctx.BSorted) return false;
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        int lo = int.MaxValue, hi = -1;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb0 = Unsafe.Add(ref brp, k), pb1 = Unsafe.Add(ref brp, k + 1);
            if (pb0 == pb1) continue;
            lo = Math.Min(lo, Unsafe.Add(ref bci, pb0));
            hi = Math.Max(hi, Unsafe.Add(ref bci, pb1 - 1));
        }
        return hi - lo < ringSize;
    }

    /// <summary>
    /// One pass over the row of A with entries [pa0, pa1): its multiplies, and whether its columns fit a
    /// ring of <paramref name="ringSize"/> (as <see cref="WindowFits"/>), read from the same B row pointers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long RowFlops<T>(SpGemm.Context<T> ctx, int ringSize, int pa0, int pa1, out bool fits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        long f = 0;
        if (ctx.N <= ringSize || !ctx.BSorted)
        {
            for (int pa = pa0; pa < pa1; pa++)
            {
                int k = Unsafe.Add(ref aci, pa);
                f += Unsafe.Add(ref brp, k + 1) - Unsafe.Add(ref brp, k);
            }
            fits = ctx.N <= ringSize;
            return f;
        }
        int lo = int.MaxValue, hi = -1;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb0 = Unsafe.Add(ref brp, k), pb1 = Unsafe.Add(ref brp, k + 1);
            if (pb0 == pb1) continue;
            f += pb1 - pb0;
            lo = Math.Min(lo, Unsafe.Add(ref bci, pb0));
            hi = Math.Max(hi, Unsafe.Add(ref bci, pb1 - 1));
        }
        fits = hi - lo < ringSize;
        return f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Capacity(int work) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * work));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(int j, int shift) => (int)(((uint)j * 0x9E3779B1u) >> shift);

    // ------------------------------------------------------------------ symbolic

    /// <summary>
    /// Rows [r0, r1): replaces Crp[i+1] (the row's multiplies) by the row's exact nnz. When the
    /// multiplies were not counted beforehand (<see cref="SpGemm.Context{T}.FlopsKnown"/> false) they
    /// are counted here, row by row; returns the chunk's multiplies in that case (else 0).
    /// </summary>
    // The chunk loops and per-row kernels are compiled fully optimised at once (AggressiveOptimization):
    // with many chunks per thread each call would otherwise start in tier-0 code, and a product of a few
    // tens of ms ends before tiering promotes it (measured: 2-thread symbolic phase 2-4x slower than 1-thread).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Symbolic<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int r0, int r1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] crp = ctx.Crp, arp = ctx.Arp;
        bool known = ctx.FlopsKnown;
        bool tryRegisters = !known && ctx.Policy == SpGemmAccumulator.Auto && RegisterRows && Avx512CD.IsSupported && Vector512.IsHardwareAccelerated;
        long total = 0, previousFlops = 0;
        for (int i = r0; i < r1; i++)
        {
            int pa0 = arp[i], pa1 = arp[i + 1];
            int flops;
            RowKind kind;
            if (known)
            {
                flops = crp[i + 1];
                if (pa1 - pa0 <= 1 || flops <= 1) continue;
                kind = Choose(ctx, ws, flops, pa0, pa1);
            }
            else
            {
                // Short rows: multiplies and distinct columns in one go, in registers. Rows of a matrix
                // tend to be alike: after a row too long for the registers the next row skips the attempt
                // (a failed attempt copies up to 32 columns for nothing).
                if (pa1 - pa0 > 1 && tryRegisters && previousFlops <= RegisterRowMax)
                {
                    int count = SymbolicInRegisters(ctx, ws, pa0, pa1, out int f1, out bool fits1);
                    previousFlops = count >= 0 ? f1 : int.MaxValue;
                    if (count >= 0)
                    {
                        total += f1;
                        crp[i + 1] = count;
                        // The numeric phase sends this row to the ring: it skips the collision check only if the row fits.
                        if (f1 > 1 && !(AutoWindow && fits1)) ctx.WindowAllFit = false;
                        continue;
                    }
                }
                long f = RowFlops(ctx, ws.RingSize, pa0, pa1, out bool fits);
                previousFlops = f;
                total += f;
                flops = crp[i + 1] = (int)Math.Min(f, int.MaxValue);
                if (pa1 - pa0 <= 1 || flops <= 1) continue;
                kind = ChooseKind(ctx, flops, fits);
            }
            // (Zero or one stored entry in A's row: the row of C is (a multiple of) one row of B, nnz = flops.)
            // The numeric phase may skip its collision check only if every short row was proved to fit the ring here.
            if (kind != RowKind.Window) ctx.WindowAllFit = false;
            crp[i + 1] = kind switch
            {
                RowKind.Hash => SymbolicHash(ctx, ws, pa0, pa1, flops),
                RowKind.Marker => SymbolicMarker(ctx, ws, pa0, pa1, i),
                RowKind.Window => SymbolicWindow(ctx, ws, pa0, pa1, i),
                _ => SymbolicBitmap(ctx, ws, pa0, pa1),
            };
        }
        return total;
    }

    /// <summary>
    /// Distinct columns through the ring marker: slot j mod size holds the last row that touched a column
    /// there; the row's columns lie in a window narrower than the ring, so within the row slots are
    /// distinct columns, and stamps of earlier rows never equal <paramref name="row"/> (no clearing).
    /// The branch is taken as often as there are repeated columns; on stencil-like matrices every row has
    /// the same pattern and it predicts well (measured faster than the branch-free form there).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SymbolicWindow<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        int[] ringArray = ws.Ring;
        ref int ring = ref MemoryMarshal.GetArrayDataReference(ringArray);
        int mask = ringArray.Length - 1;
        // The first B row's columns are distinct and new to this row: stamp them without a test.
        int k0 = Unsafe.Add(ref aci, pa0);
        int pb0 = Unsafe.Add(ref brp, k0), pbEnd = Unsafe.Add(ref brp, k0 + 1);
        int count = pbEnd - pb0;
        for (int pb = pb0; pb < pbEnd; pb++) Unsafe.Add(ref ring, Unsafe.Add(ref bci, pb) & mask) = row;
        for (int pa = pa0 + 1; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                ref int stamp = ref Unsafe.Add(ref ring, Unsafe.Add(ref bci, pb) & mask);
                if (stamp != row) { stamp = row; count++; }
            }
        }
        return count;
    }

    /// <summary>Rows with at most this many multiplies may be counted in registers (<see cref="SymbolicInRegisters{T}"/>).</summary>
    internal const int RegisterRowMax = 32;

    /// <summary>Auto policy: count short rows' distinct columns with AVX-512 conflict detection (NATIVEFREE_SPGEMM_REGISTERS=0: off, for comparison).</summary>
    internal static bool RegisterRows = ReadTuning("NATIVEFREE_SPGEMM_REGISTERS", 1) != 0;

    /// <summary>
    /// Distinct columns of a row with at most <see cref="RegisterRowMax"/> multiplies, with no accumulator:
    /// the B rows' column indices are gathered side by side into two 16-lane registers (each B row is
    /// loaded as one vector, shifted to its offset with a lane permute and blended in — assembling them in
    /// a memory buffer instead measured 40% slower: the wide reloads of the narrower, overlapping stores
    /// miss store-to-load forwarding), then AVX-512 conflict detection (<c>vpconflictd</c>: for each
    /// lane, the earlier lanes holding the same value) marks every repeat; the count is the lanes with
    /// none. Up to 16 columns take one conflict; up to 32 take six, on the pairs [q_a, q_b] (a &lt; b) of the
    /// four 8-lane quarters, so that every lane of q_b is compared with all of q_a and with the earlier
    /// lanes of q_b. Measured on the 2-D Laplacian (25 multiplies per row): 14 ms for the million rows
    /// against 27 ms through the ring.
    /// Also returns the multiplies and whether the columns fit the ring (as <see cref="WindowFits"/>), which
    /// the numeric phase needs. Returns −1 for longer rows, B rows of more than 16 entries, or when a 16-int
    /// load of a B row would run past the end of B's column array.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SymbolicInRegisters<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, out int flops, out bool fits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        int bLength = ctx.Bci.Length, n = 0, lo = int.MaxValue, hi = int.MinValue;
        flops = 0;
        fits = false;
        var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<int> low = default, high = default; // lanes 0–15 and 16–31 of the row's columns
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb0 = Unsafe.Add(ref brp, k), len = Unsafe.Add(ref brp, k + 1) - pb0;
            if (len == 0) continue;
            if (n + len > RegisterRowMax || len > 16 || pb0 + 16 > bLength) return -1;
            lo = Math.Min(lo, Unsafe.Add(ref bci, pb0));
            hi = Math.Max(hi, Unsafe.Add(ref bci, pb0 + len - 1));
            // Lane l of 'low' takes v[l − n] and lane l of 'high' takes v[l + 16 − n], where that index is in [0, len).
            var v = Vector512.LoadUnsafe(ref bci, (nuint)pb0);
            var fromLow = lane - Vector512.Create(n);
            var fromHigh = fromLow + Vector512.Create(16);
            var count = Vector512.Create((uint)len);
            low = Vector512.ConditionalSelect(Vector512.LessThan(fromLow.AsUInt32(), count).AsInt32(), Avx512F.PermuteVar16x32(v, fromLow), low);
            high = Vector512.ConditionalSelect(Vector512.LessThan(fromHigh.AsUInt32(), count).AsInt32(), Avx512F.PermuteVar16x32(v, fromHigh), high);
            n += len;
        }
        flops = n;
        fits = ctx.N <= ws.RingSize || (ctx.BSorted && hi - lo < ws.RingSize);
        if (n <= 1) return n;
        // Bit l of 'first': lane l holds a column no earlier lane holds. Lanes ≥ n hold zeros or leftovers;
        // they come after every valid lane, so they never mark a valid one, and are masked off.
        uint first;
        if (n <= 16)
            first = (uint)Vector512.ExtractMostSignificantBits(Vector512.Equals(Avx512CD.DetectConflicts(low), Vector512<int>.Zero));
        else
        {
            Vector256<int> q0 = low.GetLower(), q1 = low.GetUpper(), q2 = high.GetLower(), q3 = high.GetUpper();
            var c01 = Avx512CD.DetectConflicts(low);
            var c2 = Avx512CD.DetectConflicts(Vector512.Create(q0, q2)) | Avx512CD.DetectConflicts(Vector512.Create(q1, q2));
            var c3 = Avx512CD.DetectConflicts(Vector512.Create(q0, q3)) | Avx512CD.DetectConflicts(Vector512.Create(q1, q3))
                   | Avx512CD.DetectConflicts(high);
            uint f01 = (uint)Vector512.ExtractMostSignificantBits(Vector512.Equals(c01, Vector512<int>.Zero));
            uint f2 = (uint)Vector512.ExtractMostSignificantBits(Vector512.Equals(c2, Vector512<int>.Zero)) >> 8;
            uint f3 = (uint)Vector512.ExtractMostSignificantBits(Vector512.Equals(c3, Vector512<int>.Zero)) >> 8;
            first = f01 | (f2 << 16) | (f3 << 24);
        }
        uint valid = n == 32 ? uint.MaxValue : (1u << n) - 1;
        return BitOperations.PopCount(first & valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SymbolicHash<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int flops)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref int keys = ref MemoryMarshal.GetArrayDataReference(ws.Keys);
        int cap = Capacity(flops), mask = cap - 1, shift = 32 - BitOperations.Log2((uint)cap);
        int count = 0;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                int h = Hash(j, shift);
                while (true)
                {
                    int key = Unsafe.Add(ref keys, h);
                    if (key == j) break;
                    if (key < 0) { Unsafe.Add(ref keys, h) = j; count++; break; }
                    h = (h + 1) & mask;
                }
            }
        }
        ws.Keys.AsSpan(0, cap).Fill(-1);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SymbolicMarker<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref int marks = ref MemoryMarshal.GetArrayDataReference(ws.Marks);
        int count = 0;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                ref int mark = ref Unsafe.Add(ref marks, Unsafe.Add(ref bci, pb));
                count += mark != row ? 1 : 0;
                mark = row;
            }
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SymbolicBitmap<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(ws.Bits);
        int lo = int.MaxValue, hi = -1;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            int pb0 = Unsafe.Add(ref brp, k), pb1 = Unsafe.Add(ref brp, k + 1);
            if (pb0 == pb1) continue;
            Range(ctx, pb0, pb1, ref lo, ref hi);
            for (int pb = pb0; pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                Unsafe.Add(ref bits, j >> 6) |= 1UL << j;
            }
        }
        int count = 0;
        for (int w = lo >> 6, w1 = hi >> 6; w <= w1; w++)
        {
            ref ulong word = ref Unsafe.Add(ref bits, w);
            count += BitOperations.PopCount(word);
            word = 0;
        }
        return count;
    }

    /// <summary>Widens [lo, hi] to cover B's row slice [pb0, pb1): its end points when B's rows are sorted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Range<T>(SpGemm.Context<T> ctx, int pb0, int pb1, ref int lo, ref int hi)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ctx.BSorted)
        {
            lo = Math.Min(lo, ctx.Bci[pb0]);
            hi = Math.Max(hi, ctx.Bci[pb1 - 1]);
        }
        else
        {
            var r = new ReadOnlySpan<int>(ctx.Bci, pb0, pb1 - pb0);
            lo = Math.Min(lo, TP.Min<int>(r));
            hi = Math.Max(hi, TP.Max<int>(r));
        }
    }

    // ------------------------------------------------------------------ numeric

    /// <summary>Two-phase numeric, rows [r0, r1): writes the column indices and values of C, whose row pointers are final.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Numeric<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int r0, int r1, ref SpGemm.RowCounts counts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] crp = ctx.Crp;
        for (int i = r0; i < r1; i++)
        {
            int start = crp[i], nnz = crp[i + 1] - start;
            if (nnz == 0) continue;
            int written = Row(ctx, ws, i, nnz, exactNnz: true, ctx.Cols, ctx.Vals, start, ref counts);
            System.Diagnostics.Debug.Assert(written == nnz, "symbolic and numeric row sizes differ");
        }
    }

    /// <summary>
    /// One-pass numeric, rows [r0, r1) of one chunk: rows go to the thread's current segment (a new
    /// one when the row's reserve does not fit), Crp[i+1] becomes the row's nnz, and each run of
    /// rows stored contiguously in one segment is recorded as a piece for the final copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NumericOnePass<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, SpGemm.SegmentWriter<T> seg, int r0, int r1, List<SpGemm.Piece<T>> pieces, ref SpGemm.RowCounts counts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] crp = ctx.Crp, arp = ctx.Arp;
        int pieceRow = r0, pieceStart = seg.Used;
        long chunkWork = 0; // multiplies left in the chunk: an upper bound for the segment size
        for (int i = r0; i < r1; i++) chunkWork += crp[i + 1];
        for (int i = r0; i < r1; i++)
        {
            int flops = crp[i + 1];
            if (flops == 0) continue;
            long workLeft = chunkWork;
            chunkWork -= flops;
            int pa0 = arp[i], pa1 = arp[i + 1];
            // Room for the row: its multiplies bound its nnz for short rows; long rows (dense
            // accumulator) are counted exactly before they are written.
            int reserve;
            var kind = pa1 - pa0 == 1 ? RowKind.Hash : Choose(ctx, ws, flops, pa0, pa1);
            (int Lo, int Hi) range = default;
            if (pa1 - pa0 == 1) reserve = flops;
            else if (kind == RowKind.Bitmap)
            {
                range = AccumulateBitmap(ctx, ws, pa0, pa1);
                reserve = CountBitmap(ws, range.Lo, range.Hi);
            }
            else reserve = Math.Min(flops, ctx.N);
            if (seg.Used + reserve > seg.Capacity)
            {
                if (i > pieceRow) pieces.Add(new SpGemm.Piece<T>(seg.Cols, seg.Vals, pieceStart, pieceRow, i));
                seg.Next(reserve, workLeft);
                if (ws.MarksDirty) ws.ResetMarks(); // positions of the previous segment
                pieceRow = i;
                pieceStart = 0;
            }
            int nnz;
            if (kind == RowKind.Bitmap && pa1 - pa0 > 1)
            {
                nnz = EmitBitmap(ws, range.Lo, range.Hi, seg.Cols, seg.Vals, seg.Used);
                counts.Bitmap++;
            }
            else nnz = Row(ctx, ws, i, flops, exactNnz: false, seg.Cols, seg.Vals, seg.Used, ref counts);
            seg.Used += nnz;
            crp[i + 1] = nnz;
        }
        if (r1 > pieceRow) pieces.Add(new SpGemm.Piece<T>(seg.Cols, seg.Vals, pieceStart, pieceRow, r1));
    }

    /// <summary>
    /// Computes row <paramref name="i"/> into cols/vals from <paramref name="start"/>. <paramref name="work"/> is the
    /// row's exact nnz (two-phase) or its multiplies (one pass), which also sizes the hash table and the zeroed reserve.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Row<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int i, int work, bool exactNnz, int[] cols, T[] vals, int start, ref SpGemm.RowCounts counts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pa0 = ctx.Arp[i], pa1 = ctx.Arp[i + 1];
        bool sorted = ctx.Sorted;
        int nnz;
        if (pa1 - pa0 == 1)
        {
            // C[i,:] = a·B[k,:]: a scaled copy (already sorted when B's rows are).
            int k = ctx.Aci[pa0], pb0 = ctx.Brp[k];
            nnz = ctx.Brp[k + 1] - pb0;
            ctx.Bci.AsSpan(pb0, nnz).CopyTo(cols.AsSpan(start, nnz));
            TP.Multiply<T>(ctx.Bv.AsSpan(pb0, nnz), ctx.Av[pa0], vals.AsSpan(start, nnz));
            if (sorted && !ctx.BSorted) SparseSort.SortRow(cols.AsSpan(start, nnz), vals.AsSpan(start, nnz));
            counts.Copied++;
            return nnz;
        }
        // Short rows try the ring without scanning their window first: a collision (two columns of the
        // row in one slot) is detected on the spot and the row is redone with the fallback accumulator.
        var kind = WindowDetect && WantsWindow(ctx, work) ? RowKind.Window : Choose(ctx, ws, work, pa0, pa1);
        if (kind == RowKind.Window)
        {
            nnz = exactNnz && ctx.WindowAllFit ? NumericWindow<T, KnownToFit>(ctx, ws, pa0, pa1, cols, vals, start) : NumericWindow<T, CheckCollisions>(ctx, ws, pa0, pa1, cols, vals, start);
            ws.MarksDirty = true;
            if (nnz >= 0)
            {
                counts.Window++;
                if (sorted) SparseSort.SortRow(cols.AsSpan(start, nnz), vals.AsSpan(start, nnz));
                return nnz;
            }
            kind = ChooseKind(ctx, work, fits: false);
        }
        switch (kind)
        {
            case RowKind.Hash:
                nnz = NumericHash(ctx, ws, pa0, pa1, cols, vals, start, work);
                counts.Hash++;
                break;
            case RowKind.Marker:
                nnz = NumericMarker(ctx, ws, pa0, pa1, cols, vals, start, exactNnz ? work : Math.Min(work, ctx.N));
                ws.MarksDirty = true;
                counts.Marker++;
                break;
            default:
                var (lo, hi) = AccumulateBitmap(ctx, ws, pa0, pa1);
                counts.Bitmap++;
                return EmitBitmap(ws, lo, hi, cols, vals, start);
        }
        if (sorted) SparseSort.SortRow(cols.AsSpan(start, nnz), vals.AsSpan(start, nnz));
        return nnz;
    }

    /// <summary>Accumulates a row through the hash table into cols/vals from <paramref name="start"/>; returns its nnz.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NumericHash<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int[] cols, T[] vals, int start, int work)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(vals);
        ref int keys = ref MemoryMarshal.GetArrayDataReference(ws.Keys);
        ref int slots = ref MemoryMarshal.GetArrayDataReference(ws.Slots);
        int cap = Capacity(work), mask = cap - 1, shift = 32 - BitOperations.Log2((uint)cap);
        int next = start;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            T a = Unsafe.Add(ref av, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                T prod = a * Unsafe.Add(ref bv, pb);
                int h = Hash(j, shift);
                while (true)
                {
                    int key = Unsafe.Add(ref keys, h);
                    if (key == j) { Unsafe.Add(ref cv, Unsafe.Add(ref slots, h)) += prod; break; }
                    if (key < 0)
                    {
                        Unsafe.Add(ref keys, h) = j;
                        Unsafe.Add(ref slots, h) = next;
                        Unsafe.Add(ref cci, next) = j;
                        Unsafe.Add(ref cv, next) = prod;
                        next++;
                        break;
                    }
                    h = (h + 1) & mask;
                }
            }
        }
        ws.Keys.AsSpan(0, cap).Fill(-1);
        return next - start;
    }

    /// <summary>A compile-time switch: struct type arguments make the JIT specialise the method and drop the dead branch.</summary>
    internal interface IRingCheck { static abstract bool Enabled { get; } }
    /// <summary>Check that a slot seen in this row holds the same column (the row's window was not proved to fit).</summary>
    internal struct CheckCollisions : IRingCheck { public static bool Enabled => true; }
    /// <summary>The row is known to fit the ring: no check.</summary>
    internal struct KnownToFit : IRingCheck { public static bool Enabled => false; }

    /// <summary>
    /// Accumulates a row through the ring marker into cols/vals from <paramref name="start"/>; returns its nnz.
    /// Slot j mod size holds the position in C where column j was first written; positions of earlier
    /// rows are below <paramref name="start"/> (a thread fills each output array in increasing order, and
    /// the ring is reset whenever it switches arrays), so "≥ start" means "seen in this row" — unless two
    /// of the row's columns share a slot (window not checked first), which shows as a different column at
    /// that position: returns −1 then, having written only distinct columns within the row's slice.
    /// With <typeparamref name="TCheck"/> = <see cref="KnownToFit"/> (the symbolic phase proved every short row fits
    /// the ring, <see cref="SpGemm.Context{T}.WindowAllFit"/>) that check is compiled out: one load and compare
    /// per multiply fewer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NumericWindow<T, TCheck>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int[] cols, T[] vals, int start)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TCheck : struct, IRingCheck
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(vals);
        int[] ringArray = ws.Ring;
        ref int ring = ref MemoryMarshal.GetArrayDataReference(ringArray);
        int mask = ringArray.Length - 1;
        int next = start;
        // The first B row's columns are distinct and new to this row: a scaled copy that records positions.
        {
            int k = Unsafe.Add(ref aci, pa0);
            T a = Unsafe.Add(ref av, pa0);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                Unsafe.Add(ref ring, j & mask) = next;
                Unsafe.Add(ref cci, next) = j;
                Unsafe.Add(ref cv, next) = a * Unsafe.Add(ref bv, pb);
                next++;
            }
        }
        for (int pa = pa0 + 1; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            T a = Unsafe.Add(ref av, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                T prod = a * Unsafe.Add(ref bv, pb);
                ref int slot = ref Unsafe.Add(ref ring, j & mask);
                int q = slot;
                if (q >= start)
                {
                    // Seen in this row — or, if the window was not checked, another column in the same slot.
                    if (TCheck.Enabled && Unsafe.Add(ref cci, q) != j) return -1;
                    Unsafe.Add(ref cv, q) += prod;
                }
                else
                {
                    slot = next;
                    Unsafe.Add(ref cci, next) = j;
                    Unsafe.Add(ref cv, next) = prod;
                    next++;
                }
            }
        }
        return next - start;
    }

    /// <summary>
    /// Accumulates a row through the marker array into cols/vals from <paramref name="start"/>; returns its nnz.
    /// <paramref name="reserve"/> ≥ the row's nnz slots are zeroed first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NumericMarker<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int[] cols, T[] vals, int start, int reserve)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(vals);
        ref int pos = ref MemoryMarshal.GetArrayDataReference(ws.Marks);
        // The row's values start at zero so every visit is a branch-free "+=". pos[j] is the position
        // of column j in C when start ≤ pos[j] < next (written in this row); anything else (−1, or a
        // position of an earlier row written to the same array by this thread, which never overlaps
        // this row's slice; the marks are reset whenever the thread switches arrays) means new.
        vals.AsSpan(start, reserve).Clear();
        int next = start;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            T a = Unsafe.Add(ref av, pa);
            int pb1 = Unsafe.Add(ref brp, k + 1);
            for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                ref int pj = ref Unsafe.Add(ref pos, j);
                int q = pj;
                int old = (uint)(q - start) < (uint)(next - start) ? -1 : 0;
                q = next + ((q - next) & old);
                next += 1 + old;
                pj = q;
                Unsafe.Add(ref cci, q) = j;
                Unsafe.Add(ref cv, q) += a * Unsafe.Add(ref bv, pb);
            }
        }
        return next - start;
    }

    /// <summary>Dense accumulation of a row into the workspace's sums and bitmap; returns the touched column range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Lo, int Hi) AccumulateBitmap<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(ws.Bits);
        ref T sums = ref MemoryMarshal.GetArrayDataReference(ws.Sums);
        // sums[j] += a·b and mark j (both branch-free), then emit the set bits in column order,
        // re-zeroing sums and bits as they are read: the row comes out sorted.
        int lo = int.MaxValue, hi = -1;
        for (int pa = pa0; pa < pa1; pa++)
        {
            int k = Unsafe.Add(ref aci, pa);
            T a = Unsafe.Add(ref av, pa);
            int pb0 = Unsafe.Add(ref brp, k), pb1 = Unsafe.Add(ref brp, k + 1);
            if (pb0 == pb1) continue;
            Range(ctx, pb0, pb1, ref lo, ref hi);
            for (int pb = pb0; pb < pb1; pb++)
            {
                int j = Unsafe.Add(ref bci, pb);
                Unsafe.Add(ref sums, j) += a * Unsafe.Add(ref bv, pb);
                Unsafe.Add(ref bits, j >> 6) |= 1UL << j;
            }
        }
        return (lo, hi);
    }

    /// <summary>Number of set bits in the words covering [lo, hi].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CountBitmap<T>(SpGemm.Workspace<T> ws, int lo, int hi) where T : unmanaged
    {
        int count = 0;
        for (int w = lo >> 6, w1 = hi >> 6; w <= w1; w++) count += BitOperations.PopCount(ws.Bits[w]);
        return count;
    }

    /// <summary>Writes the accumulated row in column order into cols/vals from <paramref name="start"/>, clearing the workspace; returns its nnz.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int EmitBitmap<T>(SpGemm.Workspace<T> ws, int lo, int hi, int[] cols, T[] vals, int start)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int cci = ref MemoryMarshal.GetArrayDataReference(cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(vals);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(ws.Bits);
        ref T sums = ref MemoryMarshal.GetArrayDataReference(ws.Sums);
        int next = start;
        for (int w = lo >> 6, w1 = hi >> 6; w <= w1; w++)
        {
            ulong word = Unsafe.Add(ref bits, w);
            if (word == 0) continue;
            Unsafe.Add(ref bits, w) = 0;
            int baseJ = w << 6;
            do
            {
                int j = baseJ + BitOperations.TrailingZeroCount(word);
                ref T sj = ref Unsafe.Add(ref sums, j);
                Unsafe.Add(ref cci, next) = j;
                Unsafe.Add(ref cv, next) = sj;
                sj = T.Zero;
                next++;
                word &= word - 1;
            } while (word != 0);
        }
        return next - start;
    }
}
