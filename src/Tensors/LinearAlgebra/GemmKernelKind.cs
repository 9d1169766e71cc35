using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// The micro-kernel families of <see cref="Gemm"/>. The fastest one the hardware supports is
/// chosen at run time; tests select each one explicitly and compare it with the reference.
/// </summary>
internal enum GemmKernelKind
{
    /// <summary>Plain scalar loops: the reference kernel, and the path with hardware intrinsics off.</summary>
    Scalar,
    /// <summary>6 rows × 2 <see cref="Vector128{T}"/> (SSE, or AdvSimd on ARM).</summary>
    Vector128,
    /// <summary>6 rows × 2 <see cref="Vector256{T}"/> with FMA (AVX2+FMA).</summary>
    Avx2,
    /// <summary>6 rows × 4 <see cref="Vector512{T}"/> with FMA (AVX-512F).</summary>
    Avx512,
}

internal static class GemmKernelKinds
{
    /// <summary>The fastest kernel this process can run (honours DOTNET_EnableAVX512=0 etc.).</summary>
    public static readonly GemmKernelKind Best =
        IsSupported(GemmKernelKind.Avx512) ? GemmKernelKind.Avx512 :
        IsSupported(GemmKernelKind.Avx2) ? GemmKernelKind.Avx2 :
        IsSupported(GemmKernelKind.Vector128) ? GemmKernelKind.Vector128 : GemmKernelKind.Scalar;

    public static bool IsSupported(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Scalar => true,
        GemmKernelKind.Vector128 => Vector128.IsHardwareAccelerated,
        GemmKernelKind.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        GemmKernelKind.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>Every kernel kind this process can run, slowest first.</summary>
    public static IEnumerable<GemmKernelKind> Supported()
    {
        foreach (GemmKernelKind k in Enum.GetValues<GemmKernelKind>())
            if (IsSupported(k)) yield return k;
    }
}
