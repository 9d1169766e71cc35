using System.Buffers;
using System.Numerics;

namespace NativeFree.Tensors.Simd;

/// <summary>The reductions <see cref="ReductionEngine"/> knows.</summary>
internal enum ReductionKind { Sum, Mean, Max, Min, Var, Norm, LogSumExp, ArgMax }

/// <summary>
/// Reductions over any set of axes, and fused softmax / log-softmax along one axis.
/// The input is viewed as [pre, mid, post] with mid the reduced extent:
/// <list type="bullet">
/// <item>post = 1 (trailing axes reduced, e.g. the last axis): each output is a horizontal SIMD fold of one contiguous row;</item>
/// <item>post &gt; 1 (a leading or middle block reduced, e.g. the batch axis): rows of length post are accumulated
/// into the output with vector binary/ternary ops;</item>
/// <item>reduced axes that are not one block (or a kind without a row-accumulate form): the reduced axes are
/// permuted last and copied once into a pooled buffer, then post = 1.</item>
/// </list>
/// Non-contiguous inputs are copied once into a pooled buffer; nothing else is allocated but the result.
/// </summary>
internal static class ReductionEngine
{
    /// <summary>The result shape of reducing <paramref name="shape"/> over <paramref name="mask"/>.</summary>
    public static int[] OutputShape(ReadOnlySpan<int> shape, bool[] mask, bool keepDim)
    {
        int count = 0;
        for (int i = 0; i < shape.Length; i++) if (keepDim || !mask[i]) count++;
        var result = new int[count];
        for (int i = 0, j = 0; i < shape.Length; i++)
        {
            if (keepDim) result[j++] = mask[i] ? 1 : shape[i];
            else if (!mask[i]) result[j++] = shape[i];
        }
        return result;
    }

    public static void Reduce<T>(ReductionKind kind, Tensor<T> x, bool[] mask, Tensor<T> destination, int ddof = 0, double p = 2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length == 0) return;
        bool rowAccumulate = kind is not (ReductionKind.ArgMax or ReductionKind.Norm) || (kind == ReductionKind.Norm && p == 2);
        var src = Arrange(x, mask, rowAccumulate || kind == ReductionKind.ArgMax, out int pre, out int mid, out int post, out T[]? rentedSrc);
        T[]? rentedOut = null;
        Span<T> output = destination.IsContiguous && !ReferenceEquals(destination.Storage, x.Storage)
            ? destination.AsSpan()
            : (rentedOut = ArrayPool<T>.Shared.Rent(destination.Length)).AsSpan(0, destination.Length);
        try
        {
            if (mid == 0 && kind is ReductionKind.Max or ReductionKind.Min or ReductionKind.ArgMax)
                throw new ArgumentException($"{kind} over an empty set of elements is undefined (input shape {ShapeUtil.Format(x.Shape)}).");
            if (post == 1)
                for (int r = 0; r < pre; r++) output[r] = ReduceRow(kind, src.Slice(r * mid, mid), ddof, p);
            else if (kind == ReductionKind.ArgMax)
                for (int r = 0; r < pre; r++) ArgMaxColumns(src.Slice(r * mid * post, mid * post), mid, post, output.Slice(r * post, post));
            else
                for (int r = 0; r < pre; r++) ReduceColumns(kind, src.Slice(r * mid * post, mid * post), mid, post, output.Slice(r * post, post), ddof);
            if (rentedOut is not null) destination.CopyFrom(output);
        }
        finally
        {
            if (rentedSrc is not null) ArrayPool<T>.Shared.Return(rentedSrc);
            if (rentedOut is not null) ArrayPool<T>.Shared.Return(rentedOut);
        }
    }

    /// <summary>One output from one contiguous row: horizontal SIMD folds.</summary>
    private static T ReduceRow<T>(ReductionKind kind, ReadOnlySpan<T> row, int ddof, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case ReductionKind.Sum: return SimdLoops.Aggregate<FirstOperator<T>, SumOperator<T>, T>(row, T.Zero);
            case ReductionKind.Mean: return SimdLoops.Aggregate<FirstOperator<T>, SumOperator<T>, T>(row, T.Zero) / T.CreateChecked(row.Length);
            case ReductionKind.Max: return SimdLoops.Aggregate<FirstOperator<T>, MaxOperator<T>, T>(row, T.Zero);
            case ReductionKind.Min: return SimdLoops.Aggregate<FirstOperator<T>, MinOperator<T>, T>(row, T.Zero);
            case ReductionKind.Var:
            {
                // Two passes (mean, then squared deviations): no cancellation, unlike Σx² − n·mean².
                T mean = SimdLoops.Aggregate<FirstOperator<T>, SumOperator<T>, T>(row, T.Zero) / T.CreateChecked(row.Length);
                return SimdLoops.Aggregate<SquaredDifferenceOperator<T>, SumOperator<T>, T>(row, mean) / T.CreateChecked(row.Length - ddof);
            }
            case ReductionKind.Norm:
                if (p == 2) return T.Sqrt(SimdLoops.Aggregate<SquaredDifferenceOperator<T>, SumOperator<T>, T>(row, T.Zero));
                if (p == 1) return SimdLoops.Aggregate<AbsFirstOperator<T>, SumOperator<T>, T>(row, T.Zero);
                if (double.IsPositiveInfinity(p)) return T.Max(T.Zero, SimdLoops.Aggregate<AbsFirstOperator<T>, MaxOperator<T>, T>(row, T.Zero));
                double s = 0;
                foreach (var v in row) s += Math.Pow(Math.Abs(double.CreateTruncating(v)), p);
                return T.CreateTruncating(Math.Pow(s, 1 / p));
            case ReductionKind.LogSumExp:
            {
                if (row.Length == 0) return T.NegativeInfinity;
                T m = SimdLoops.Aggregate<FirstOperator<T>, MaxOperator<T>, T>(row, T.Zero);
                if (T.IsInfinity(m)) return m;
                return m + T.Log(SimdLoops.Aggregate<ExpSubtractOperator<T>, SumOperator<T>, T>(row, m));
            }
            case ReductionKind.ArgMax:
            {
                int best = 0;
                for (int i = 1; i < row.Length; i++)
                    if (row[i] > row[best] || (T.IsNaN(row[i]) && !T.IsNaN(row[best]))) best = i;
                return T.CreateChecked(best);
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>post outputs from mid rows of length post: vector ops accumulate row by row.</summary>
    private static void ReduceColumns<T>(ReductionKind kind, ReadOnlySpan<T> block, int mid, int post, Span<T> output, int ddof)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case ReductionKind.Sum:
            case ReductionKind.Mean:
            case ReductionKind.Var:
                SumRows(block, mid, post, output);
                if (kind == ReductionKind.Sum) return;
                SimdLoops.Binary<DivideOperator<T>, T>(output, T.CreateChecked(mid), output);
                if (kind == ReductionKind.Mean) return;
                {
                    var acc = ArrayPool<T>.Shared.Rent(post);
                    var a = acc.AsSpan(0, post);
                    a.Clear();
                    for (int i = 0; i < mid; i++)
                        SimdLoops.TernaryLoop<AccumulateSquaredDifferenceOperator<T>, T, Simd.Contiguous, Simd.Contiguous, Simd.Contiguous>(
                            ref Row(block, i, post), ref output[0], ref a[0], ref a[0], (nuint)post);
                    SimdLoops.Binary<DivideOperator<T>, T>(a, T.CreateChecked(mid - ddof), output);
                    ArrayPool<T>.Shared.Return(acc);
                }
                return;
            case ReductionKind.Max:
                block[..post].CopyTo(output);
                for (int i = 1; i < mid; i++) SimdLoops.Binary<MaximumOperator<T>, T>(output, block.Slice(i * post, post), output);
                return;
            case ReductionKind.Min:
                block[..post].CopyTo(output);
                for (int i = 1; i < mid; i++) SimdLoops.Binary<MinimumOperator<T>, T>(output, block.Slice(i * post, post), output);
                return;
            case ReductionKind.Norm: // p = 2 only reaches here
            {
                output.Clear();
                T zero = T.Zero;
                for (int i = 0; i < mid; i++)
                    SimdLoops.TernaryLoop<AccumulateSquaredDifferenceOperator<T>, T, Simd.Contiguous, Simd.Broadcast, Simd.Contiguous>(
                        ref Row(block, i, post), ref zero, ref output[0], ref output[0], (nuint)post);
                SimdLoops.Unary<SqrtOperator<T>, T>(output, output);
                return;
            }
            case ReductionKind.LogSumExp:
            {
                if (mid == 0) { output.Fill(T.NegativeInfinity); return; }
                var buf = ArrayPool<T>.Shared.Rent(2 * post);
                var m = buf.AsSpan(0, post);
                var s = buf.AsSpan(post, post);
                MaxRowsAndSumExp(block, mid, post, m, s);
                for (int j = 0; j < post; j++) output[j] = T.IsInfinity(m[j]) ? m[j] : m[j] + T.Log(s[j]);
                ArrayPool<T>.Shared.Return(buf);
                return;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static void SumRows<T>(ReadOnlySpan<T> block, int mid, int post, Span<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (mid == 0) { output.Clear(); return; }
        block[..post].CopyTo(output);
        for (int i = 1; i < mid; i++) SimdLoops.Binary<AddOperator<T>, T>(output, block.Slice(i * post, post), output);
    }

    /// <summary>m = column maxima, s = Σ exp(x − m) per column: two passes over the rows.</summary>
    private static void MaxRowsAndSumExp<T>(ReadOnlySpan<T> block, int mid, int post, Span<T> m, Span<T> s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        block[..post].CopyTo(m);
        for (int i = 1; i < mid; i++) SimdLoops.Binary<MaximumOperator<T>, T>(m, block.Slice(i * post, post), m);
        s.Clear();
        for (int i = 0; i < mid; i++)
            SimdLoops.TernaryLoop<AccumulateExpSubtractOperator<T>, T, Simd.Contiguous, Simd.Contiguous, Simd.Contiguous>(
                ref Row(block, i, post), ref m[0], ref s[0], ref s[0], (nuint)post);
    }

    private static void ArgMaxColumns<T>(ReadOnlySpan<T> block, int mid, int post, Span<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var buf = ArrayPool<T>.Shared.Rent(post);
        var best = buf.AsSpan(0, post);
        block[..post].CopyTo(best);
        output.Clear();
        for (int i = 1; i < mid; i++)
        {
            var row = block.Slice(i * post, post);
            T index = T.CreateChecked(i);
            for (int j = 0; j < post; j++)
                if (row[j] > best[j] || (T.IsNaN(row[j]) && !T.IsNaN(best[j]))) { best[j] = row[j]; output[j] = index; }
        }
        ArrayPool<T>.Shared.Return(buf);
    }

    private static ref T Row<T>(ReadOnlySpan<T> block, int i, int post)
        => ref System.Runtime.CompilerServices.Unsafe.AsRef(in block[i * post]);

    /// <summary>
    /// Views x as [pre, mid, post] over a contiguous span. When the reduced axes (size-1 axes ignored) form one
    /// block and <paramref name="allowPost"/>, the order is kept; otherwise the reduced axes are permuted last.
    /// Non-contiguous or permuted inputs are copied into a rented buffer returned in <paramref name="rented"/>.
    /// </summary>
    private static ReadOnlySpan<T> Arrange<T>(Tensor<T> x, bool[] mask, bool allowPost, out int pre, out int mid, out int post, out T[]? rented)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        pre = 1; mid = 1; post = 1;
        int state = 0; // 0 before the reduced block, 1 inside it, 2 after it
        bool block = true;
        for (int i = 0; i < x.Rank; i++)
        {
            int d = x.Shape[i];
            if (d == 1) continue;
            if (mask[i])
            {
                if (state == 2) block = false;
                state = 1;
                mid *= d;
            }
            else if (state == 0) pre *= d;
            else { state = 2; post *= d; }
        }
        // A zero-size axis anywhere makes the products meaningless for slicing; every path below handles
        // pre·mid·post = 0 because the loops simply do not run (or the output is empty).
        if (block && (allowPost || post == 1))
        {
            if (x.IsContiguous) { rented = null; return x.AsSpan(); }
            rented = ArrayPool<T>.Shared.Rent(x.Length);
            x.CopyTo(rented);
            return rented.AsSpan(0, x.Length);
        }
        var order = new int[x.Rank];
        int k = 0;
        pre = 1; mid = 1; post = 1;
        for (int i = 0; i < x.Rank; i++) if (!mask[i]) { order[k++] = i; pre *= x.Shape[i]; }
        for (int i = 0; i < x.Rank; i++) if (mask[i]) { order[k++] = i; mid *= x.Shape[i]; }
        rented = ArrayPool<T>.Shared.Rent(x.Length);
        x.Permute(order).CopyTo(rented);
        return rented.AsSpan(0, x.Length);
    }

    // ------------------------------------------------------------------------------ softmax

    /// <summary>
    /// Softmax (or log-softmax) along <paramref name="axis"/> into <paramref name="destination"/>, fused:
    /// one pass for the maximum, one for Σ exp(x − max), one to write — no intermediate tensor.
    /// </summary>
    public static void Softmax<T>(Tensor<T> x, int axis, Tensor<T> destination, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.CheckDestination(destination, x.Shape, "the input");
        if (x.Rank == 0) throw new ArgumentException("Softmax needs a tensor with at least one axis; got a scalar (shape []).", nameof(x));
        int ax = ShapeUtil.NormalizeAxis(axis, x.Rank);
        if (x.Length == 0) return;
        int pre = 1, mid = x.Shape[ax], post = 1;
        for (int i = 0; i < ax; i++) pre *= x.Shape[i];
        for (int i = ax + 1; i < x.Rank; i++) post *= x.Shape[i];

        x = ElementwiseEngine.Unalias(x, destination);
        T[]? rentedSrc = null, rentedOut = null;
        ReadOnlySpan<T> src;
        if (x.IsContiguous) src = x.AsSpan();
        else
        {
            rentedSrc = ArrayPool<T>.Shared.Rent(x.Length);
            x.CopyTo(rentedSrc);
            src = rentedSrc.AsSpan(0, x.Length);
        }
        Span<T> dst = destination.IsContiguous ? destination.AsSpan() : (rentedOut = ArrayPool<T>.Shared.Rent(x.Length)).AsSpan(0, x.Length);
        try
        {
            if (post == 1)
            {
                for (int r = 0; r < pre; r++)
                {
                    var row = src.Slice(r * mid, mid);
                    var d = dst.Slice(r * mid, mid);
                    T m = SimdLoops.Aggregate<FirstOperator<T>, MaxOperator<T>, T>(row, T.Zero);
                    if (log)
                    {
                        T c = T.IsInfinity(m) ? m : m + T.Log(SimdLoops.Aggregate<ExpSubtractOperator<T>, SumOperator<T>, T>(row, m));
                        SimdLoops.Binary<SubtractOperator<T>, T>(row, c, d);
                    }
                    else
                    {
                        T s = SimdLoops.TransformAggregate<ExpSubtractOperator<T>, SumOperator<T>, T>(row, m, d);
                        // An infinite maximum leaves exp(x − m) as it is (0, 1 or NaN), matching exp(x − logsumexp).
                        if (!T.IsInfinity(m)) SimdLoops.Binary<MultiplyOperator<T>, T>(d, T.One / s, d);
                    }
                }
            }
            else
            {
                var buf = ArrayPool<T>.Shared.Rent(2 * post);
                var m = buf.AsSpan(0, post);
                var s = buf.AsSpan(post, post);
                for (int r = 0; r < pre; r++)
                {
                    var block = src.Slice(r * mid * post, mid * post);
                    var dblock = dst.Slice(r * mid * post, mid * post);
                    MaxRowsAndSumExp(block, mid, post, m, s);
                    if (log)
                    {
                        for (int j = 0; j < post; j++) s[j] = T.IsInfinity(m[j]) ? m[j] : m[j] + T.Log(s[j]);
                        for (int i = 0; i < mid; i++)
                            SimdLoops.Binary<SubtractOperator<T>, T>(block.Slice(i * post, post), s, dblock.Slice(i * post, post));
                    }
                    else
                    {
                        for (int j = 0; j < post; j++) s[j] = T.IsInfinity(m[j]) ? T.One : T.One / s[j];
                        for (int i = 0; i < mid; i++)
                            SimdLoops.TernaryLoop<ExpSubtractMultiplyOperator<T>, T, Simd.Contiguous, Simd.Contiguous, Simd.Contiguous>(
                                ref Row(block, i, post), ref m[0], ref s[0], ref dblock[i * post], (nuint)post);
                    }
                }
                ArrayPool<T>.Shared.Return(buf);
            }
            if (rentedOut is not null) destination.CopyFrom(dst);
        }
        finally
        {
            if (rentedSrc is not null) ArrayPool<T>.Shared.Return(rentedSrc);
            if (rentedOut is not null) ArrayPool<T>.Shared.Return(rentedOut);
        }
    }
}
