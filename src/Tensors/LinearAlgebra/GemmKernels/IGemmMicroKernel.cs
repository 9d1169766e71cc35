using System.Numerics;

namespace NativeFree.Tensors.LinearAlgebra.GemmKernels;

/// <summary>
/// An MR×NR register-blocked micro-kernel (BLIS's "gemm ukernel"):
/// <c>C[0..MR, 0..NR] = alpha·Σ_p A(i,p)·B(p,j) + beta·C</c>, where
/// A(i,p) = <c>a[i*rsA + p*csA]</c> (a packed micro-panel has rsA = 1, csA = MR, but any
/// strides work, so small problems skip packing), B(p,j) = <c>b[p*ldb + j]</c> (unit column
/// stride: packed with ldb = NR, or a row-major matrix read in place) and C has unit column
/// stride and row stride ldc. When beta is zero C is only written, never read, so NaNs in C vanish.
/// Implementations are structs so the five-loop driver is specialised (and the kernel call
/// direct) per kernel by the JIT.
/// </summary>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile (a multiple of the vector width).</summary>
    static abstract int NR { get; }

    /// <summary>Runs the kernel over <paramref name="kc"/> rank-1 updates.</summary>
    static abstract void Run(nint kc, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, T alpha, T beta);
}
