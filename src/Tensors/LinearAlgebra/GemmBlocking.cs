using System.Numerics;
using NativeFree.Tensors.LinearAlgebra.GemmKernels;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Cache blocking of the five GEMM loops for one kernel: the KC×NR micro-panel of B stays in L1
/// while the kernel sweeps the A block; the MC×KC block of A stays in L2; the KC×NC block of B
/// stays in L3 (BLIS's rule of thumb, see flame/blis "KernelsHowTo").
/// </summary>
internal readonly record struct GemmBlocking(int MR, int NR, int MC, int KC, int NC)
{
    /// <summary>
    /// Block sizes per kernel and element type, tuned on the reference machine (Zen 5: 48 KB L1d,
    /// 1 MB L2 per core, 32 MB L3) and sensible on Intel parts with 32–48 KB L1 and ≥ 1 MB L2.
    /// </summary>
    public static GemmBlocking For<T>(GemmKernelKind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        switch (kind)
        {
            case GemmKernelKind.Avx512:
                // 6×64 float / 6×32 double tile. KC·NR·s = 24 KB: the B micro-panel fills half of L1,
                // leaving room for the streamed A panels and the C tile. MC·KC·s ≈ 576 KB of the
                // 1 MB L2. KC·NC·s = 4 MB of L3 (shared by the threads' own copies).
                return s == 4
                    ? new(Avx512Kernel<T>.MR, Avx512Kernel<T>.NR, MC: 1536, KC: 96, NC: 4096)
                    : new(Avx512Kernel<T>.MR, Avx512Kernel<T>.NR, MC: 768, KC: 96, NC: 2048);
            case GemmKernelKind.Avx2:
                // 6×16 float / 6×8 double: KC·NR·s = 16 KB of L1; MC·KC·s = 384 KB of L2.
                return s == 4
                    ? new(Avx2Kernel<T>.MR, Avx2Kernel<T>.NR, MC: 384, KC: 256, NC: 4096)
                    : new(Avx2Kernel<T>.MR, Avx2Kernel<T>.NR, MC: 192, KC: 256, NC: 2048);
            case GemmKernelKind.Vector128:
                return s == 4
                    ? new(Vector128Kernel<T>.MR, Vector128Kernel<T>.NR, MC: 384, KC: 256, NC: 4096)
                    : new(Vector128Kernel<T>.MR, Vector128Kernel<T>.NR, MC: 192, KC: 256, NC: 2048);
            default:
                return new(ScalarKernel<T>.MR, ScalarKernel<T>.NR, MC: 128, KC: 256, NC: 1024);
        }
    }
}
