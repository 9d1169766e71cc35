using System.Numerics;

namespace NativeFree.Tensors.LinearAlgebra.GemmKernels;

/// <summary>
/// Reference micro-kernel in plain scalar code (BLIS's ref_kernels): a 4×4 tile accumulated in
/// locals. It is the path when hardware intrinsics are off, and the simplest statement of the
/// micro-kernel contract.
/// </summary>
internal readonly unsafe struct ScalarKernel<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 4;

    public static void Run(nint kc, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        T* acc = stackalloc T[16];
        for (int t = 0; t < 16; t++) acc[t] = T.Zero;
        for (nint p = 0; p < kc; p++)
        {
            T* ap = a + p * csA, bp = b + p * ldb;
            for (int i = 0; i < 4; i++)
            {
                T ai = ap[i * rsA];
                for (int j = 0; j < 4; j++) acc[i * 4 + j] += ai * bp[j];
            }
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                ref T cij = ref c[i * ldc + j];
                cij = beta == T.Zero ? alpha * acc[i * 4 + j] : alpha * acc[i * 4 + j] + beta * cij;
            }
    }
}
