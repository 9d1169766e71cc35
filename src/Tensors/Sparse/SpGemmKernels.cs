using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// The hot loops of <see cref="SpGemm"/>. Bounds checks are removed with <see cref="Unsafe.Add{T}(ref T, int)"/>
/// on array data references: every index used here was validated when the CSR matrices were built
/// (columns &lt; n, row pointers monotone), and positions in C come from the exact symbolic row sizes.
/// <para>Three row accumulators, chosen per row (<see cref="Choose"/>):</para>
/// <list type="bullet">
/// <item><b>Bitmap</b> (long rows): values in a dense array plus a bitmap of touched columns. Symbolic is
/// one OR per multiply and a popcount; numeric emits the set bits between the row's smallest and
/// largest column, so rows come out sorted with no sort.</item>
/// <item><b>Marker</b> (short rows): an int per column of B. Symbolic stamps it with the row number;
/// numeric stores there the position in C where the column was first written in this row, and
/// accumulates straight into C. Both loops are branch-free.</item>
/// <item><b>Hash</b>: open addressing in an L1-sized power-of-two table, also writing straight into C.</item>
/// </list>
/// </summary>
internal static class SpGemmKernels
{
    internal enum RowKind { Hash, Marker, Bitmap }

    /// <summary>Auto policy: rows with at least this much work (multiplies or nnz) per bitmap word in range use the bitmap.</summary>
    internal static int AutoBitmapMinWork = ReadTuning("NATIVEFREE_SPGEMM_BITMAPMIN", 256);

    private static int ReadTuning(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : fallback;

    /// <summary>Auto policy: from this many columns of B on, the marker array (4 bytes per column) outgrows the caches and short rows use the hash table.</summary>
    internal static int AutoHashMinColumns = ReadTuning("NATIVEFREE_SPGEMM_HASHMINCOLS", 1 << 22);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static RowKind Choose(SpGemmAccumulator policy, int work, int n) => policy switch
    {
        SpGemmAccumulator.Hash => work <= SpGemm.Workspace<byte>.HashMaxWork ? RowKind.Hash : RowKind.Bitmap,
        SpGemmAccumulator.Marker => RowKind.Marker,
        SpGemmAccumulator.Dense => RowKind.Bitmap,
        // Long rows amortise the bitmap scan; short ones are cheapest branch-free in the marker
        // array while it stays in cache, and in an L1 hash table once it does not.
        _ => work >= AutoBitmapMinWork ? RowKind.Bitmap : n >= AutoHashMinColumns ? RowKind.Hash : RowKind.Marker,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Capacity(int work) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * work));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(int j, int shift) => (int)(((uint)j * 0x9E3779B1u) >> shift);

    // ------------------------------------------------------------------ symbolic

    /// <summary>Rows [r0, r1): replaces Crp[i+1] (the row's multiplies) by the row's exact nnz.</summary>
    public static void Symbolic<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int r0, int r1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] crp = ctx.Crp, arp = ctx.Arp;
        for (int i = r0; i < r1; i++)
        {
            int flops = crp[i + 1];
            int pa0 = arp[i], pa1 = arp[i + 1];
            // Zero or one stored entry in A's row: the row of C is (a multiple of) one row of B.
            if (pa1 - pa0 <= 1 || flops <= 1) continue; // nnz = flops already
            crp[i + 1] = Choose(ctx.Policy, flops, ctx.N) switch
            {
                RowKind.Hash => SymbolicHash(ctx, ws, pa0, pa1, flops),
                RowKind.Marker => SymbolicMarker(ctx, ws, pa0, pa1, i),
                _ => SymbolicBitmap(ctx, ws, pa0, pa1),
            };
        }
    }

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

    /// <summary>Rows [r0, r1): writes the column indices and values of C, whose row pointers are final.</summary>
    public static void Numeric<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int r0, int r1, ref SpGemm.RowCounts counts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] crp = ctx.Crp, arp = ctx.Arp;
        bool sorted = ctx.Sorted;
        for (int i = r0; i < r1; i++)
        {
            int start = crp[i], end = crp[i + 1], nnz = end - start;
            if (nnz == 0) continue;
            int pa0 = arp[i], pa1 = arp[i + 1];
            if (pa1 - pa0 == 1)
            {
                // C[i,:] = a·B[k,:]: a scaled copy (already sorted when B's rows are).
                int k = ctx.Aci[pa0], pb0 = ctx.Brp[k];
                ctx.Bci.AsSpan(pb0, nnz).CopyTo(ctx.Cols.AsSpan(start, nnz));
                TP.Multiply<T>(ctx.Bv.AsSpan(pb0, nnz), ctx.Av[pa0], ctx.Vals.AsSpan(start, nnz));
                if (sorted && !ctx.BSorted) SparseSort.SortRow(ctx.Cols.AsSpan(start, nnz), ctx.Vals.AsSpan(start, nnz));
                counts.Copied++;
                continue;
            }
            switch (Choose(ctx.Policy, nnz, ctx.N))
            {
                case RowKind.Hash:
                    NumericHash(ctx, ws, pa0, pa1, start, nnz);
                    if (sorted) SparseSort.SortRow(ctx.Cols.AsSpan(start, nnz), ctx.Vals.AsSpan(start, nnz));
                    counts.Hash++;
                    break;
                case RowKind.Marker:
                    NumericMarker(ctx, ws, pa0, pa1, start, nnz);
                    if (sorted) SparseSort.SortRow(ctx.Cols.AsSpan(start, nnz), ctx.Vals.AsSpan(start, nnz));
                    counts.Marker++;
                    break;
                default:
                    NumericBitmap(ctx, ws, pa0, pa1, start);
                    counts.Bitmap++;
                    break;
            }
        }
    }

    private static void NumericHash<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int start, int nnz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(ctx.Cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(ctx.Vals);
        ref int keys = ref MemoryMarshal.GetArrayDataReference(ws.Keys);
        ref int slots = ref MemoryMarshal.GetArrayDataReference(ws.Slots);
        int cap = Capacity(nnz), mask = cap - 1, shift = 32 - BitOperations.Log2((uint)cap);
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
        System.Diagnostics.Debug.Assert(next == start + nnz, "symbolic and numeric row sizes differ");
    }

    private static void NumericMarker<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int start, int nnz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(ctx.Cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(ctx.Vals);
        ref int pos = ref MemoryMarshal.GetArrayDataReference(ws.Marks);
        // The row's values start at zero so every visit is a branch-free "+=". pos[j] is the position
        // of column j in C when start ≤ pos[j] < next (written in this row); anything else (−1, or a
        // position of an earlier row of this thread, which never overlaps this row's slice) means new.
        ctx.Vals.AsSpan(start, nnz).Clear();
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
        System.Diagnostics.Debug.Assert(next == start + nnz, "symbolic and numeric row sizes differ");
    }

    private static void NumericBitmap<T>(SpGemm.Context<T> ctx, SpGemm.Workspace<T> ws, int pa0, int pa1, int start)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(ctx.Cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(ctx.Vals);
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
    }
}
