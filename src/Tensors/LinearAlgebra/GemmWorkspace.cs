using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Per-thread packing buffers, kept for the life of the thread so that a GEMM allocates nothing
/// in steady state. They live on the pinned object heap (so the kernels can hold raw pointers
/// without <c>fixed</c>) and are handed out 64-byte aligned so packed panels never split cache lines.
/// GEMM worker threads are long-lived (see <see cref="GemmThreads"/>), so their buffers are reused too.
/// </summary>
internal static unsafe class GemmWorkspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static T[]? s_a;
    [ThreadStatic] private static T[]? s_b;
    [ThreadStatic] private static T[]? s_edge;

    /// <summary>Buffer for packed A blocks (MC×KC).</summary>
    public static T* A(nint count) => Get(ref s_a, count);

    /// <summary>Buffer for packed B blocks (KC×NC).</summary>
    public static T* B(nint count) => Get(ref s_b, count);

    /// <summary>Small buffer for edge micro-panels when an operand is read in place.</summary>
    public static T* Edge(nint count) => Get(ref s_edge, count);

    private static T* Get(ref T[]? buffer, nint count)
    {
        nint pad = 64 / sizeof(T);
        if (buffer is null || buffer.Length < count + pad)
        {
            // Grow geometrically so a sequence of slightly larger problems does not reallocate each time.
            nint size = Math.Max(count + pad, buffer is null ? 0 : (nint)buffer.Length * 3 / 2);
            buffer = GC.AllocateUninitializedArray<T>(checked((int)size), pinned: true);
        }
        nint addr = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((addr + 63) & ~(nint)63);
    }
}
