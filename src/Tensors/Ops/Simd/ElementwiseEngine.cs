using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.Simd;

/// <summary>
/// Runs an operator struct over tensors with NumPy broadcasting. Fast paths, in order: everything
/// contiguous with one shape (one span loop); a tensor with a one-element operand (span ⊕ scalar);
/// otherwise the operands are broadcast by stride 0, axes that are contiguous among themselves are
/// merged, and the loop walks rows of the last merged axis, where each operand is a contiguous run,
/// a broadcast scalar, or (any other stride) gathered into a pooled buffer. Row-broadcasts such as
/// [B,N] + [N] or [B,N]·[B,1] thus become B span loops. No steady-state allocation beyond the result.
/// </summary>
internal static class ElementwiseEngine
{
    private const int MaxStackRank = 16;

    /// <summary>A fresh contiguous tensor of <paramref name="shape"/> (elements uninitialised).</summary>
    public static Tensor<T> Allocate<T>(int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => new(GC.AllocateUninitializedArray<T>(ShapeUtil.ElementCount(shape)), shape);

    /// <summary>Throws unless <paramref name="destination"/> has exactly <paramref name="shape"/> and is writable element by element.</summary>
    public static void CheckDestination<T>(Tensor<T> destination, ReadOnlySpan<int> shape, string what) where T : unmanaged, IFloatingPointIeee754<T>
        => CheckDestination(destination, shape, what, default, default, default, 0);

    /// <summary>As above; the error names the input shapes (formatted only when it throws).</summary>
    public static void CheckDestination<T>(Tensor<T> destination, ReadOnlySpan<int> shape, string what,
        ReadOnlySpan<int> in0, ReadOnlySpan<int> in1, ReadOnlySpan<int> in2, int inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!ShapeUtil.SameShape(destination.Shape, shape))
        {
            string from = inputs switch
            {
                2 => $" of {ShapeUtil.Format(in0)} and {ShapeUtil.Format(in1)}",
                3 => $" of {ShapeUtil.Format(in0)}, {ShapeUtil.Format(in1)} and {ShapeUtil.Format(in2)}",
                1 => $" of {ShapeUtil.Format(in0)}",
                _ => "",
            };
            throw new ArgumentException($"Destination has shape {ShapeUtil.Format(destination.Shape)} but {what}{from} has shape {ShapeUtil.Format(shape)}.", nameof(destination));
        }
        for (int i = 0; i < destination.Rank; i++)
            if (destination.Strides[i] == 0 && destination.Shape[i] > 1)
                throw new ArgumentException($"Destination of shape {ShapeUtil.Format(destination.Shape)} is a broadcast view (stride 0 on axis {i}); several results would land on one element.", nameof(destination));
    }

    /// <summary>
    /// An input that shares storage with the destination without being exactly the same view would be
    /// overwritten while still being read: copy it first. Exactly the same view (in place) is fine.
    /// </summary>
    public static Tensor<T> Unalias<T>(Tensor<T> input, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!ReferenceEquals(input.Storage, destination.Storage)) return input;
        if (input.Offset == destination.Offset && input.Shape.SequenceEqual(destination.Shape) && input.Strides.SequenceEqual(destination.Strides))
            return input;
        return input.Clone();
    }

    // ------------------------------------------------------------------------------- unary

    public static void Unary<TOp, T>(Tensor<T> x, Tensor<T> destination)
        where TOp : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDestination(destination, x.Shape, "the input");
        if (x.Length == 0) return;
        x = Unalias(x, destination);
        if (x.IsContiguous && destination.IsContiguous)
        {
            SimdLoops.Unary<TOp, T>(x.AsSpan(), destination.AsSpan());
            return;
        }
        int rank = Math.Max(destination.Rank, 1);
        Span<int> shape = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        Span<int> strides = rank <= MaxStackRank ? stackalloc int[2 * rank] : new int[2 * rank];
        Plan(destination.Shape, shape, strides, 2, destination, x, x);
        int r = Coalesce(shape, strides, 2, rank);
        int n = shape[r - 1];
        int sd = strides[r - 1], sx = strides[rank + r - 1];
        if (n == 1) sd = sx = 1;
        T[]? bx = sx == 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bd = sd == 1 ? null : ArrayPool<T>.Shared.Rent(n);
        Span<int> idx = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        idx.Clear();
        int pd = destination.Offset, px = x.Offset;
        ref T d0 = ref MemoryMarshal.GetArrayDataReference(destination.Storage);
        ref T x0 = ref MemoryMarshal.GetArrayDataReference(x.Storage);
        do
        {
            ReadOnlySpan<T> xs = sx == 1 ? MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x0, px), n) : Gather(ref Unsafe.Add(ref x0, px), sx, bx!, n);
            Span<T> ds = sd == 1 ? MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d0, pd), n) : bd.AsSpan(0, n);
            SimdLoops.Unary<TOp, T>(xs, ds);
            if (sd != 1) Scatter(ds, ref Unsafe.Add(ref d0, pd), sd);
        } while (NextRow(shape, strides, idx, r, rank, 2, ref pd, ref px, ref px, ref px));
        if (bx is not null) ArrayPool<T>.Shared.Return(bx);
        if (bd is not null) ArrayPool<T>.Shared.Return(bd);
    }

    // ------------------------------------------------------------------------------ binary

    public static void Binary<TOp, T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination)
        where TOp : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape0 = ShapeUtil.SameShape(a.Shape, b.Shape) ? a.Shape : ShapeUtil.Broadcast(a.Shape, b.Shape);
        CheckDestination(destination, shape0, "the broadcast", a.Shape, b.Shape, default, 2);
        if (destination.Length == 0) return;
        a = Unalias(a, destination);
        b = Unalias(b, destination);
        if (destination.IsContiguous)
        {
            bool aFull = a.IsContiguous && a.Length == destination.Length, bFull = b.IsContiguous && b.Length == destination.Length;
            if (aFull && bFull) { SimdLoops.Binary<TOp, T>(a.AsSpan(), b.AsSpan(), destination.AsSpan()); return; }
            if (aFull && b.Length == 1) { SimdLoops.Binary<TOp, T>(a.AsSpan(), b.Storage[b.Offset], destination.AsSpan()); return; }
            if (bFull && a.Length == 1) { SimdLoops.Binary<TOp, T>(a.Storage[a.Offset], b.AsSpan(), destination.AsSpan()); return; }
        }
        int rank = Math.Max(destination.Rank, 1);
        Span<int> shape = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        Span<int> strides = rank <= MaxStackRank ? stackalloc int[3 * rank] : new int[3 * rank];
        Plan(destination.Shape, shape, strides, 3, destination, a, b);
        int r = Coalesce(shape, strides, 3, rank);
        int n = shape[r - 1];
        int sd = strides[r - 1], sa = strides[rank + r - 1], sb = strides[2 * rank + r - 1];
        if (n == 1) sd = sa = sb = 1;
        T[]? ba = sa is 0 or 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bb = sb is 0 or 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bd = sd == 1 ? null : ArrayPool<T>.Shared.Rent(n);
        Span<int> idx = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        idx.Clear();
        int pd = destination.Offset, pa = a.Offset, pb = b.Offset;
        ref T d0 = ref MemoryMarshal.GetArrayDataReference(destination.Storage);
        ref T a0 = ref MemoryMarshal.GetArrayDataReference(a.Storage);
        ref T b0 = ref MemoryMarshal.GetArrayDataReference(b.Storage);
        do
        {
            ref T ra = ref Unsafe.Add(ref a0, pa);
            ref T rb = ref Unsafe.Add(ref b0, pb);
            if (ba is not null) { Gather(ref ra, sa, ba, n); ra = ref ba[0]; }
            if (bb is not null) { Gather(ref rb, sb, bb, n); rb = ref bb[0]; }
            ref T rd = ref sd == 1 ? ref Unsafe.Add(ref d0, pd) : ref bd![0];
            nuint len = (nuint)n;
            if (sa != 0 && sb != 0) SimdLoops.BinaryLoop<TOp, T, Contiguous, Contiguous>(ref ra, ref rb, ref rd, len);
            else if (sb == 0 && sa != 0) SimdLoops.BinaryLoop<TOp, T, Contiguous, Broadcast>(ref ra, ref rb, ref rd, len);
            else if (sa == 0 && sb != 0) SimdLoops.BinaryLoop<TOp, T, Broadcast, Contiguous>(ref ra, ref rb, ref rd, len);
            else MemoryMarshal.CreateSpan(ref rd, n).Fill(TOp.Invoke(ra, rb));
            if (sd != 1) Scatter(bd.AsSpan(0, n), ref Unsafe.Add(ref d0, pd), sd);
        } while (NextRow(shape, strides, idx, r, rank, 3, ref pd, ref pa, ref pb, ref pb));
        if (ba is not null) ArrayPool<T>.Shared.Return(ba);
        if (bb is not null) ArrayPool<T>.Shared.Return(bb);
        if (bd is not null) ArrayPool<T>.Shared.Return(bd);
    }

    /// <summary>d = TOp(a, s) with a scalar right operand.</summary>
    public static void Binary<TOp, T>(Tensor<T> a, T s, Tensor<T> destination)
        where TOp : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDestination(destination, a.Shape, "the input");
        if (a.Length == 0) return;
        a = Unalias(a, destination);
        if (a.IsContiguous && destination.IsContiguous) { SimdLoops.Binary<TOp, T>(a.AsSpan(), s, destination.AsSpan()); return; }
        Binary<TOp, T>(a, Tensor.Scalar(s), destination);
    }

    // ----------------------------------------------------------------------------- ternary

    public static void Ternary<TOp, T>(Tensor<T> a, Tensor<T> b, Tensor<T> c, Tensor<T> destination)
        where TOp : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape0 = ShapeUtil.Broadcast(ShapeUtil.Broadcast(a.Shape, b.Shape), c.Shape);
        CheckDestination(destination, shape0, "the broadcast", a.Shape, b.Shape, c.Shape, 3);
        if (destination.Length == 0) return;
        a = Unalias(a, destination);
        b = Unalias(b, destination);
        c = Unalias(c, destination);
        int rank = Math.Max(destination.Rank, 1);
        Span<int> shape = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        Span<int> strides = rank <= MaxStackRank ? stackalloc int[4 * rank] : new int[4 * rank];
        Plan(destination.Shape, shape, strides, 4, destination, a, b, c);
        int r = Coalesce(shape, strides, 4, rank);
        int n = shape[r - 1];
        int sd = strides[r - 1], sa = strides[rank + r - 1], sb = strides[2 * rank + r - 1], sc = strides[3 * rank + r - 1];
        if (n == 1) sd = sa = sb = sc = 1;
        T[]? ba = sa is 0 or 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bb = sb is 0 or 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bc = sc is 0 or 1 ? null : ArrayPool<T>.Shared.Rent(n);
        T[]? bd = sd == 1 ? null : ArrayPool<T>.Shared.Rent(n);
        Span<int> idx = rank <= MaxStackRank ? stackalloc int[rank] : new int[rank];
        idx.Clear();
        int pd = destination.Offset, pa = a.Offset, pb = b.Offset, pc = c.Offset;
        ref T d0 = ref MemoryMarshal.GetArrayDataReference(destination.Storage);
        ref T a0 = ref MemoryMarshal.GetArrayDataReference(a.Storage);
        ref T b0 = ref MemoryMarshal.GetArrayDataReference(b.Storage);
        ref T c0 = ref MemoryMarshal.GetArrayDataReference(c.Storage);
        do
        {
            ref T ra = ref Unsafe.Add(ref a0, pa);
            ref T rb = ref Unsafe.Add(ref b0, pb);
            ref T rc = ref Unsafe.Add(ref c0, pc);
            if (ba is not null) { Gather(ref ra, sa, ba, n); ra = ref ba[0]; }
            if (bb is not null) { Gather(ref rb, sb, bb, n); rb = ref bb[0]; }
            if (bc is not null) { Gather(ref rc, sc, bc, n); rc = ref bc[0]; }
            ref T rd = ref sd == 1 ? ref Unsafe.Add(ref d0, pd) : ref bd![0];
            TernaryRow<TOp, T>(ref ra, sa == 0, ref rb, sb == 0, ref rc, sc == 0, ref rd, (nuint)n);
            if (sd != 1) Scatter(bd.AsSpan(0, n), ref Unsafe.Add(ref d0, pd), sd);
        } while (NextRow(shape, strides, idx, r, rank, 4, ref pd, ref pa, ref pb, ref pc));
        if (ba is not null) ArrayPool<T>.Shared.Return(ba);
        if (bb is not null) ArrayPool<T>.Shared.Return(bb);
        if (bc is not null) ArrayPool<T>.Shared.Return(bc);
        if (bd is not null) ArrayPool<T>.Shared.Return(bd);
    }

    /// <summary>Picks the loop instantiation for which operands are broadcast scalars in this row.</summary>
    internal static void TernaryRow<TOp, T>(ref T a, bool sa, ref T b, bool sb, ref T c, bool sc, ref T d, nuint n)
        where TOp : ITernaryOperator<T> where T : unmanaged
    {
        switch ((sa ? 4 : 0) | (sb ? 2 : 0) | (sc ? 1 : 0))
        {
            case 0: SimdLoops.TernaryLoop<TOp, T, Contiguous, Contiguous, Contiguous>(ref a, ref b, ref c, ref d, n); break;
            case 1: SimdLoops.TernaryLoop<TOp, T, Contiguous, Contiguous, Broadcast>(ref a, ref b, ref c, ref d, n); break;
            case 2: SimdLoops.TernaryLoop<TOp, T, Contiguous, Broadcast, Contiguous>(ref a, ref b, ref c, ref d, n); break;
            case 3: SimdLoops.TernaryLoop<TOp, T, Contiguous, Broadcast, Broadcast>(ref a, ref b, ref c, ref d, n); break;
            case 4: SimdLoops.TernaryLoop<TOp, T, Broadcast, Contiguous, Contiguous>(ref a, ref b, ref c, ref d, n); break;
            case 5: SimdLoops.TernaryLoop<TOp, T, Broadcast, Contiguous, Broadcast>(ref a, ref b, ref c, ref d, n); break;
            case 6: SimdLoops.TernaryLoop<TOp, T, Broadcast, Broadcast, Contiguous>(ref a, ref b, ref c, ref d, n); break;
            default: MemoryMarshal.CreateSpan(ref d, (int)n).Fill(TOp.Invoke(a, b, c)); break;
        }
    }

    // ---------------------------------------------------------------------- strided plumbing

    /// <summary>
    /// Copies the destination shape and each operand's strides broadcast against it (stride 0 on new
    /// or size-1 axes) into <paramref name="strides"/>, operand k at <c>k·rank</c>.
    /// </summary>
    private static void Plan<T>(ReadOnlySpan<int> outShape, Span<int> shape, Span<int> strides, int count,
        Tensor<T> t0, Tensor<T> t1, Tensor<T> t2, Tensor<T>? t3 = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = shape.Length;
        if (outShape.Length == 0) { shape[0] = 1; strides.Clear(); return; }
        outShape.CopyTo(shape);
        for (int k = 0; k < count; k++)
        {
            var t = k switch { 0 => t0, 1 => t1, 2 => t2, _ => t3! };
            int lead = rank - t.Rank;
            for (int i = 0; i < rank; i++)
                strides[k * rank + i] = i < lead || t.Shape[i - lead] == 1 ? 0 : t.Strides[i - lead];
        }
    }

    /// <summary>
    /// Drops size-1 axes and merges neighbours i−1, i whenever every operand steps over axis i−1 by exactly
    /// one full run of axis i. Returns the new rank (≥ 1); shape and strides are compacted in place.
    /// </summary>
    internal static int Coalesce(Span<int> shape, Span<int> strides, int count, int rank)
    {
        int r = 0;
        for (int axis = 0; axis < rank; axis++)
        {
            if (shape[axis] == 1) continue;
            bool merge = r > 0;
            for (int k = 0; k < count && merge; k++)
                merge = strides[k * rank + r - 1] == strides[k * rank + axis] * shape[axis];
            if (merge)
            {
                shape[r - 1] *= shape[axis];
                for (int k = 0; k < count; k++) strides[k * rank + r - 1] = strides[k * rank + axis];
            }
            else
            {
                shape[r] = shape[axis];
                for (int k = 0; k < count; k++) strides[k * rank + r] = strides[k * rank + axis];
                r++;
            }
        }
        if (r == 0)
        {
            shape[0] = 1;
            for (int k = 0; k < count; k++) strides[k * rank] = 0;
            r = 1;
        }
        return r;
    }

    /// <summary>Odometer over the axes before the last; advances up to four operand positions in lockstep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NextRow(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<int> idx, int r, int rank, int count,
        ref int p0, ref int p1, ref int p2, ref int p3)
    {
        for (int axis = r - 2; axis >= 0; axis--)
        {
            int s0 = strides[axis], s1 = strides[rank + axis];
            int s2 = count > 2 ? strides[2 * rank + axis] : 0, s3 = count > 3 ? strides[3 * rank + axis] : 0;
            if (++idx[axis] < shape[axis])
            {
                p0 += s0; p1 += s1;
                if (count > 2) p2 += s2;
                if (count > 3) p3 += s3;
                return true;
            }
            int back = shape[axis] - 1;
            p0 -= back * s0; p1 -= back * s1;
            if (count > 2) p2 -= back * s2;
            if (count > 3) p3 -= back * s3;
            idx[axis] = 0;
        }
        return false;
    }

    private static ReadOnlySpan<T> Gather<T>(ref T source, int stride, T[] buffer, int n)
    {
        for (int j = 0; j < n; j++) buffer[j] = Unsafe.Add(ref source, (nint)j * stride);
        return buffer.AsSpan(0, n);
    }

    private static void Scatter<T>(ReadOnlySpan<T> values, ref T destination, int stride)
    {
        for (int j = 0; j < values.Length; j++) Unsafe.Add(ref destination, (nint)j * stride) = values[j];
    }
}
