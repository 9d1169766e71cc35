using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Packing of GEMM operands into the micro-panel layouts the kernels stream through
/// (BLIS's packm): A into MR-row panels stored column by column (<c>dst[p*MR + i]</c>),
/// B into NR-column panels stored row by row (<c>dst[p*NR + j]</c>). Any strides are accepted
/// (transposes, non-contiguous views, stride-0 broadcasts); rows/columns past the matrix edge
/// are zero so edge tiles can run the full kernel. Unit-stride sources get the fast loops.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs an mc×kc block of A into ⌈mc/mr⌉ panels of mr×kc, one after another.</summary>
    public static void PackA<T>(int mc, int kc, T* a, nint rsA, nint csA, T* dst, int mr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i0 = 0; i0 < mc; i0 += mr, dst += (nint)mr * kc)
            PackAPanel(Math.Min(mr, mc - i0), kc, a + i0 * rsA, rsA, csA, dst, mr);
    }

    /// <summary>One A micro-panel: rows beyond <paramref name="rows"/> are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAPanel<T>(int rows, int kc, T* a, nint rsA, nint csA, T* dst, int mr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rsA == 1)
        {
            // Op(A) column p is contiguous (A stored transposed): a straight copy per k step.
            for (int p = 0; p < kc; p++)
            {
                T* s = a + p * csA, d = dst + (nint)p * mr;
                for (int i = 0; i < rows; i++) d[i] = s[i];
            }
        }
        else if (csA == 1 && rows == 6 && mr == 6)
        {
            // Row-major A, the common case: six sequential read streams, one sequential write stream.
            T* r0 = a, r1 = a + rsA, r2 = r1 + rsA, r3 = r2 + rsA, r4 = r3 + rsA, r5 = r4 + rsA;
            T* d = dst;
            for (int p = 0; p < kc; p++, d += 6)
            {
                d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
            }
            return;
        }
        else
        {
            for (int i = 0; i < rows; i++)
            {
                T* s = a + i * rsA, d = dst + i;
                for (int p = 0; p < kc; p++) d[(nint)p * mr] = s[p * csA];
            }
        }
        if (rows < mr)
            for (int p = 0; p < kc; p++)
                for (int i = rows; i < mr; i++) dst[(nint)p * mr + i] = T.Zero;
    }

    /// <summary>Packs a kc×nc block of B into ⌈nc/nr⌉ panels of kc×nr, one after another.</summary>
    public static void PackB<T>(int kc, int nc, T* b, nint rsB, nint csB, T* dst, int nr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j0 = 0; j0 < nc; j0 += nr, dst += (nint)nr * kc)
            PackBPanel(kc, Math.Min(nr, nc - j0), b + j0 * csB, rsB, csB, dst, nr);
    }

    /// <summary>One B micro-panel: columns beyond <paramref name="cols"/> are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel<T>(int kc, int cols, T* b, nint rsB, nint csB, T* dst, int nr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (csB == 1 && cols == nr)
        {
            for (int p = 0; p < kc; p++) CopyRow(b + p * rsB, dst + (nint)p * nr, nr);
            return;
        }
        if (rsB == 1)
        {
            // B stored transposed: column j is contiguous along k.
            for (int j = 0; j < cols; j++)
            {
                T* s = b + j * csB, d = dst + j;
                for (int p = 0; p < kc; p++) d[(nint)p * nr] = s[p];
            }
        }
        else
        {
            for (int p = 0; p < kc; p++)
            {
                T* s = b + p * rsB, d = dst + (nint)p * nr;
                for (int j = 0; j < cols; j++) d[j] = s[j * csB];
            }
        }
        if (cols < nr)
            for (int p = 0; p < kc; p++)
                for (int j = cols; j < nr; j++) dst[(nint)p * nr + j] = T.Zero;
    }

    /// <summary>Copies <paramref name="count"/> contiguous elements with the widest vectors available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow<T>(T* src, T* dst, int count) where T : unmanaged
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + Vector512<T>.Count <= count; j += Vector512<T>.Count) Vector512.Store(Vector512.Load(src + j), dst + j);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + Vector256<T>.Count <= count; j += Vector256<T>.Count) Vector256.Store(Vector256.Load(src + j), dst + j);
        else if (Vector128.IsHardwareAccelerated)
            for (; j + Vector128<T>.Count <= count; j += Vector128<T>.Count) Vector128.Store(Vector128.Load(src + j), dst + j);
        for (; j < count; j++) dst[j] = src[j];
    }
}
