using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// The hot loops of <see cref="SpGemm"/>. Bounds checks are removed with <see cref="Unsafe.Add{T}(ref T, int)"/>
/// on array data references: every index used here was validated when the CSR matrices were built
/// (columns &lt; n, row pointers monotone), and positions in C come from the exact symbolic row sizes.
/// </summary>
internal static class SpGemmKernels
{
    /// <summary>Auto policy: rows with at most this much work use the hash table (measured; see the README).</summary>
    internal static int AutoHashMaxWork = ReadTuning("NATIVEFREE_SPGEMM_HASHMAX", 64);

    private static int ReadTuning(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) ? Math.Clamp(v, 0, SpGemm.Workspace.HashMaxWork) : fallback;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool UseHash(SpGemmAccumulator policy, int work, int n) => policy switch
    {
        SpGemmAccumulator.Dense => false,
        SpGemmAccumulator.Hash => work <= SpGemm.Workspace.HashMaxWork,
        // A table only pays when it is much smaller than the dense array it replaces.
        _ => work <= AutoHashMaxWork && 8L * work < n,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Capacity(int work)
    {
        // Power of two ≥ 2·work (load ≤ 1/2), at least 16.
        return (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * work));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(int j, int shift) => (int)(((uint)j * 0x9E3779B1u) >> shift);

    /// <summary>Rows [r0, r1): replaces Crp[i+1] (the row's multiplies) by the row's exact nnz.</summary>
    public static void Symbolic<T>(SpGemm.Context<T> ctx, SpGemm.Workspace ws, int r0, int r1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int arp = ref MemoryMarshal.GetArrayDataReference(ctx.Arp);
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref int pos = ref MemoryMarshal.GetArrayDataReference(ws.Pos);
        ref int keys = ref MemoryMarshal.GetArrayDataReference(ws.Keys);
        int[] crp = ctx.Crp;
        int n = ctx.N;
        for (int i = r0; i < r1; i++)
        {
            int flops = crp[i + 1];
            int pa0 = Unsafe.Add(ref arp, i), pa1 = Unsafe.Add(ref arp, i + 1);
            // Zero or one stored entry in A's row: the row of C is (a multiple of) one row of B.
            if (pa1 - pa0 <= 1 || flops <= 1) continue; // nnz = flops already
            int count = 0;
            if (UseHash(ctx.Policy, flops, n))
            {
                int cap = Capacity(flops), mask = cap - 1, shift = 32 - BitOperations.Log2((uint)cap);
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
            }
            else
            {
                // Marker array stamped with the row index: branch-free count of first visits.
                for (int pa = pa0; pa < pa1; pa++)
                {
                    int k = Unsafe.Add(ref aci, pa);
                    int pb1 = Unsafe.Add(ref brp, k + 1);
                    for (int pb = Unsafe.Add(ref brp, k); pb < pb1; pb++)
                    {
                        int j = Unsafe.Add(ref bci, pb);
                        ref int mark = ref Unsafe.Add(ref pos, j);
                        count += mark != i ? 1 : 0;
                        mark = i;
                    }
                }
            }
            crp[i + 1] = count;
        }
    }

    /// <summary>Rows [r0, r1): writes the column indices and values of C, whose row pointers are final.</summary>
    public static void Numeric<T>(SpGemm.Context<T> ctx, SpGemm.Workspace ws, int r0, int r1, ref long hashRows, ref long denseRows, ref long copiedRows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref int arp = ref MemoryMarshal.GetArrayDataReference(ctx.Arp);
        ref int aci = ref MemoryMarshal.GetArrayDataReference(ctx.Aci);
        ref T av = ref MemoryMarshal.GetArrayDataReference(ctx.Av);
        ref int brp = ref MemoryMarshal.GetArrayDataReference(ctx.Brp);
        ref int bci = ref MemoryMarshal.GetArrayDataReference(ctx.Bci);
        ref T bv = ref MemoryMarshal.GetArrayDataReference(ctx.Bv);
        ref int crp = ref MemoryMarshal.GetArrayDataReference(ctx.Crp);
        ref int cci = ref MemoryMarshal.GetArrayDataReference(ctx.Cols);
        ref T cv = ref MemoryMarshal.GetArrayDataReference(ctx.Vals);
        ref int pos = ref MemoryMarshal.GetArrayDataReference(ws.Pos);
        ref int keys = ref MemoryMarshal.GetArrayDataReference(ws.Keys);
        ref int slots = ref MemoryMarshal.GetArrayDataReference(ws.Slots);
        int n = ctx.N;
        bool sorted = ctx.Sorted;
        for (int i = r0; i < r1; i++)
        {
            int start = Unsafe.Add(ref crp, i), end = Unsafe.Add(ref crp, i + 1), nnz = end - start;
            if (nnz == 0) continue;
            int pa0 = Unsafe.Add(ref arp, i), pa1 = Unsafe.Add(ref arp, i + 1);
            if (pa1 - pa0 == 1)
            {
                // C[i,:] = a·B[k,:]: a scaled copy (already sorted when B's rows are).
                int k = Unsafe.Add(ref aci, pa0), pb0 = Unsafe.Add(ref brp, k);
                T a = Unsafe.Add(ref av, pa0);
                ctx.Bci.AsSpan(pb0, nnz).CopyTo(ctx.Cols.AsSpan(start, nnz));
                System.Numerics.Tensors.TensorPrimitives.Multiply<T>(ctx.Bv.AsSpan(pb0, nnz), a, ctx.Vals.AsSpan(start, nnz));
                if (sorted && !ctx.BSorted) SparseSort.SortRow(ctx.Cols.AsSpan(start, nnz), ctx.Vals.AsSpan(start, nnz));
                copiedRows++;
                continue;
            }
            int next = start;
            if (UseHash(ctx.Policy, nnz, n))
            {
                int cap = Capacity(nnz), mask = cap - 1, shift = 32 - BitOperations.Log2((uint)cap);
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
                hashRows++;
            }
            else
            {
                // Values of the row start at zero so that every visit is a branch-free "+=":
                // pos[j] holds the position of column j in C if it was written in this row
                // (start ≤ pos[j] < next), anything else otherwise (−1, or a position of an
                // earlier row: this thread's earlier rows never overlap [start, end)).
                ctx.Vals.AsSpan(start, nnz).Clear();
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
                denseRows++;
            }
            System.Diagnostics.Debug.Assert(next == end, "symbolic and numeric row sizes differ");
            if (sorted) SparseSort.SortRow(ctx.Cols.AsSpan(start, nnz), ctx.Vals.AsSpan(start, nnz));
        }
    }
}
