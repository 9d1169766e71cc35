using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

/// <summary>
/// The generic loops every elementwise op and reduction runs through: one per shape of op
/// (unary, binary, ternary, aggregate). Each picks the widest accelerated vector
/// (Vector512, Vector256, Vector128) that fits the length, unrolls by four, and finishes the
/// tail with one overlapping vector computed from the original inputs before any store, so an
/// in-place call (destination identical to an input) stays correct. Without hardware vectors the
/// scalar <c>Invoke</c> runs; DOTNET_EnableAVX512=0 / EnableAVX2=0 / EnableHWIntrinsic=0 force
/// each path in tests.
/// </summary>
/// <remarks>
/// Destinations may be exactly an input (in place) but must not partially overlap one: the
/// tensor-level engine copies an input that does before calling in.
/// </remarks>
internal static class SimdLoops
{
    // ------------------------------------------------------------------------------- unary

    /// <summary>d[i] = TOp(x[i]).</summary>
    public static void Unary<TOp, T>(ReadOnlySpan<T> x, Span<T> destination)
        where TOp : IUnaryOperator<T> where T : unmanaged
    {
        if (destination.Length < x.Length) ThrowShort(x.Length, destination.Length);
        UnaryLoop<TOp, T>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(destination), (nuint)x.Length);
    }

    internal static void UnaryLoop<TOp, T>(ref T x, ref T d, nuint n)
        where TOp : IUnaryOperator<T> where T : unmanaged
    {
        nuint i = 0;
        if (TOp.Vectorizable)
        {
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
            {
                nuint w = (nuint)Vector512<T>.Count;
                var end = TOp.Invoke(Vector512.LoadUnsafe(ref x, n - w));
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    var r0 = TOp.Invoke(Vector512.LoadUnsafe(ref x, i));
                    var r1 = TOp.Invoke(Vector512.LoadUnsafe(ref x, i + w));
                    var r2 = TOp.Invoke(Vector512.LoadUnsafe(ref x, i + 2 * w));
                    var r3 = TOp.Invoke(Vector512.LoadUnsafe(ref x, i + 3 * w));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                    r2.StoreUnsafe(ref d, i + 2 * w);
                    r3.StoreUnsafe(ref d, i + 3 * w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Vector512.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
            {
                nuint w = (nuint)Vector256<T>.Count;
                var end = TOp.Invoke(Vector256.LoadUnsafe(ref x, n - w));
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    var r0 = TOp.Invoke(Vector256.LoadUnsafe(ref x, i));
                    var r1 = TOp.Invoke(Vector256.LoadUnsafe(ref x, i + w));
                    var r2 = TOp.Invoke(Vector256.LoadUnsafe(ref x, i + 2 * w));
                    var r3 = TOp.Invoke(Vector256.LoadUnsafe(ref x, i + 3 * w));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                    r2.StoreUnsafe(ref d, i + 2 * w);
                    r3.StoreUnsafe(ref d, i + 3 * w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Vector256.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
            {
                nuint w = (nuint)Vector128<T>.Count;
                var end = TOp.Invoke(Vector128.LoadUnsafe(ref x, n - w));
                for (; i + 2 * w <= n; i += 2 * w)
                {
                    var r0 = TOp.Invoke(Vector128.LoadUnsafe(ref x, i));
                    var r1 = TOp.Invoke(Vector128.LoadUnsafe(ref x, i + w));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Vector128.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Unsafe.Add(ref x, i));
    }

    // ------------------------------------------------------------------------------ binary

    /// <summary>d[i] = TOp(x[i], y[i]).</summary>
    public static void Binary<TOp, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where TOp : IBinaryOperator<T> where T : unmanaged
    {
        if (y.Length != x.Length) throw new ArgumentException($"Spans of lengths {x.Length} and {y.Length} differ.", nameof(y));
        if (destination.Length < x.Length) ThrowShort(x.Length, destination.Length);
        BinaryLoop<TOp, T, Contiguous, Contiguous>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(destination), (nuint)x.Length);
    }

    /// <summary>d[i] = TOp(x[i], y).</summary>
    public static void Binary<TOp, T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where TOp : IBinaryOperator<T> where T : unmanaged
    {
        if (destination.Length < x.Length) ThrowShort(x.Length, destination.Length);
        BinaryLoop<TOp, T, Contiguous, Broadcast>(ref MemoryMarshal.GetReference(x), ref y,
            ref MemoryMarshal.GetReference(destination), (nuint)x.Length);
    }

    /// <summary>d[i] = TOp(x, y[i]).</summary>
    public static void Binary<TOp, T>(T x, ReadOnlySpan<T> y, Span<T> destination)
        where TOp : IBinaryOperator<T> where T : unmanaged
    {
        if (destination.Length < y.Length) ThrowShort(y.Length, destination.Length);
        BinaryLoop<TOp, T, Broadcast, Contiguous>(ref x, ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(destination), (nuint)y.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Load<T, K>(ref T p, nuint i, Vector512<T> broadcast) where K : IOperandKind where T : unmanaged
        => K.IsScalar ? broadcast : Vector512.LoadUnsafe(ref p, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Load<T, K>(ref T p, nuint i, Vector256<T> broadcast) where K : IOperandKind where T : unmanaged
        => K.IsScalar ? broadcast : Vector256.LoadUnsafe(ref p, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Load<T, K>(ref T p, nuint i, Vector128<T> broadcast) where K : IOperandKind where T : unmanaged
        => K.IsScalar ? broadcast : Vector128.LoadUnsafe(ref p, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Load<T, K>(ref T p, nuint i) where K : IOperandKind where T : unmanaged
        => K.IsScalar ? p : Unsafe.Add(ref p, i);

    internal static void BinaryLoop<TOp, T, KX, KY>(ref T x, ref T y, ref T d, nuint n)
        where TOp : IBinaryOperator<T> where T : unmanaged where KX : IOperandKind where KY : IOperandKind
    {
        nuint i = 0;
        if (TOp.Vectorizable)
        {
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
            {
                nuint w = (nuint)Vector512<T>.Count;
                Vector512<T> bx = KX.IsScalar ? Vector512.Create(x) : default, by = KY.IsScalar ? Vector512.Create(y) : default;
                var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by));
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    var r0 = TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by));
                    var r1 = TOp.Invoke(Load<T, KX>(ref x, i + w, bx), Load<T, KY>(ref y, i + w, by));
                    var r2 = TOp.Invoke(Load<T, KX>(ref x, i + 2 * w, bx), Load<T, KY>(ref y, i + 2 * w, by));
                    var r3 = TOp.Invoke(Load<T, KX>(ref x, i + 3 * w, bx), Load<T, KY>(ref y, i + 3 * w, by));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                    r2.StoreUnsafe(ref d, i + 2 * w);
                    r3.StoreUnsafe(ref d, i + 3 * w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
            {
                nuint w = (nuint)Vector256<T>.Count;
                Vector256<T> bx = KX.IsScalar ? Vector256.Create(x) : default, by = KY.IsScalar ? Vector256.Create(y) : default;
                var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by));
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    var r0 = TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by));
                    var r1 = TOp.Invoke(Load<T, KX>(ref x, i + w, bx), Load<T, KY>(ref y, i + w, by));
                    var r2 = TOp.Invoke(Load<T, KX>(ref x, i + 2 * w, bx), Load<T, KY>(ref y, i + 2 * w, by));
                    var r3 = TOp.Invoke(Load<T, KX>(ref x, i + 3 * w, bx), Load<T, KY>(ref y, i + 3 * w, by));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                    r2.StoreUnsafe(ref d, i + 2 * w);
                    r3.StoreUnsafe(ref d, i + 3 * w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
            {
                nuint w = (nuint)Vector128<T>.Count;
                Vector128<T> bx = KX.IsScalar ? Vector128.Create(x) : default, by = KY.IsScalar ? Vector128.Create(y) : default;
                var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by));
                for (; i + 2 * w <= n; i += 2 * w)
                {
                    var r0 = TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by));
                    var r1 = TOp.Invoke(Load<T, KX>(ref x, i + w, bx), Load<T, KY>(ref y, i + w, by));
                    r0.StoreUnsafe(ref d, i);
                    r1.StoreUnsafe(ref d, i + w);
                }
                for (; i + w <= n; i += w) TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by)).StoreUnsafe(ref d, i);
                end.StoreUnsafe(ref d, n - w);
                return;
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Load<T, KX>(ref x, i), Load<T, KY>(ref y, i));
    }

    // ----------------------------------------------------------------------------- ternary

    internal static void TernaryLoop<TOp, T, KX, KY, KZ>(ref T x, ref T y, ref T z, ref T d, nuint n)
        where TOp : ITernaryOperator<T> where T : unmanaged
        where KX : IOperandKind where KY : IOperandKind where KZ : IOperandKind
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
        {
            nuint w = (nuint)Vector512<T>.Count;
            Vector512<T> bx = KX.IsScalar ? Vector512.Create(x) : default, by = KY.IsScalar ? Vector512.Create(y) : default,
                bz = KZ.IsScalar ? Vector512.Create(z) : default;
            var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by), Load<T, KZ>(ref z, n - w, bz));
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var r0 = TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by), Load<T, KZ>(ref z, i, bz));
                var r1 = TOp.Invoke(Load<T, KX>(ref x, i + w, bx), Load<T, KY>(ref y, i + w, by), Load<T, KZ>(ref z, i + w, bz));
                r0.StoreUnsafe(ref d, i);
                r1.StoreUnsafe(ref d, i + w);
            }
            for (; i + w <= n; i += w)
                TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by), Load<T, KZ>(ref z, i, bz)).StoreUnsafe(ref d, i);
            end.StoreUnsafe(ref d, n - w);
            return;
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
        {
            nuint w = (nuint)Vector256<T>.Count;
            Vector256<T> bx = KX.IsScalar ? Vector256.Create(x) : default, by = KY.IsScalar ? Vector256.Create(y) : default,
                bz = KZ.IsScalar ? Vector256.Create(z) : default;
            var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by), Load<T, KZ>(ref z, n - w, bz));
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var r0 = TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by), Load<T, KZ>(ref z, i, bz));
                var r1 = TOp.Invoke(Load<T, KX>(ref x, i + w, bx), Load<T, KY>(ref y, i + w, by), Load<T, KZ>(ref z, i + w, bz));
                r0.StoreUnsafe(ref d, i);
                r1.StoreUnsafe(ref d, i + w);
            }
            for (; i + w <= n; i += w)
                TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by), Load<T, KZ>(ref z, i, bz)).StoreUnsafe(ref d, i);
            end.StoreUnsafe(ref d, n - w);
            return;
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
        {
            nuint w = (nuint)Vector128<T>.Count;
            Vector128<T> bx = KX.IsScalar ? Vector128.Create(x) : default, by = KY.IsScalar ? Vector128.Create(y) : default,
                bz = KZ.IsScalar ? Vector128.Create(z) : default;
            var end = TOp.Invoke(Load<T, KX>(ref x, n - w, bx), Load<T, KY>(ref y, n - w, by), Load<T, KZ>(ref z, n - w, bz));
            for (; i + w <= n; i += w)
                TOp.Invoke(Load<T, KX>(ref x, i, bx), Load<T, KY>(ref y, i, by), Load<T, KZ>(ref z, i, bz)).StoreUnsafe(ref d, i);
            end.StoreUnsafe(ref d, n - w);
            return;
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Load<T, KX>(ref x, i), Load<T, KY>(ref y, i), Load<T, KZ>(ref z, i));
    }

    // --------------------------------------------------------------------------- aggregate

    /// <summary>TAgg-fold of TTransform(x[i], y) over the span (y broadcast); the identity for an empty span.</summary>
    public static T Aggregate<TTransform, TAgg, T>(ReadOnlySpan<T> x, T y)
        where TTransform : IBinaryOperator<T> where TAgg : IAggregationOperator<T> where T : unmanaged, System.Numerics.INumberBase<T>
    {
        ref T p = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
        {
            nuint w = (nuint)Vector512<T>.Count;
            var vy = Vector512.Create(y);
            var id = Vector512.Create(TAgg.Identity);
            Vector512<T> a0 = id, a1 = id, a2 = id, a3 = id;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector512.LoadUnsafe(ref p, i), vy));
                a1 = TAgg.Invoke(a1, TTransform.Invoke(Vector512.LoadUnsafe(ref p, i + w), vy));
                a2 = TAgg.Invoke(a2, TTransform.Invoke(Vector512.LoadUnsafe(ref p, i + 2 * w), vy));
                a3 = TAgg.Invoke(a3, TTransform.Invoke(Vector512.LoadUnsafe(ref p, i + 3 * w), vy));
            }
            for (; i + w <= n; i += w) a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector512.LoadUnsafe(ref p, i), vy));
            if (i < n)
            {
                // The last vector overlaps lanes already counted: replace those by the identity.
                var t = TTransform.Invoke(Vector512.LoadUnsafe(ref p, n - w), vy);
                var counted = Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(w - (n - i))));
                a1 = TAgg.Invoke(a1, Vector512.ConditionalSelect(counted, id, t));
            }
            return TAgg.Invoke(TAgg.Invoke(TAgg.Invoke(a0, a1), TAgg.Invoke(a2, a3)));
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
        {
            nuint w = (nuint)Vector256<T>.Count;
            var vy = Vector256.Create(y);
            var id = Vector256.Create(TAgg.Identity);
            Vector256<T> a0 = id, a1 = id, a2 = id, a3 = id;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector256.LoadUnsafe(ref p, i), vy));
                a1 = TAgg.Invoke(a1, TTransform.Invoke(Vector256.LoadUnsafe(ref p, i + w), vy));
                a2 = TAgg.Invoke(a2, TTransform.Invoke(Vector256.LoadUnsafe(ref p, i + 2 * w), vy));
                a3 = TAgg.Invoke(a3, TTransform.Invoke(Vector256.LoadUnsafe(ref p, i + 3 * w), vy));
            }
            for (; i + w <= n; i += w) a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector256.LoadUnsafe(ref p, i), vy));
            if (i < n)
            {
                var t = TTransform.Invoke(Vector256.LoadUnsafe(ref p, n - w), vy);
                var counted = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(w - (n - i))));
                a1 = TAgg.Invoke(a1, Vector256.ConditionalSelect(counted, id, t));
            }
            return TAgg.Invoke(TAgg.Invoke(TAgg.Invoke(a0, a1), TAgg.Invoke(a2, a3)));
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
        {
            nuint w = (nuint)Vector128<T>.Count;
            var vy = Vector128.Create(y);
            var id = Vector128.Create(TAgg.Identity);
            Vector128<T> a0 = id, a1 = id;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector128.LoadUnsafe(ref p, i), vy));
                a1 = TAgg.Invoke(a1, TTransform.Invoke(Vector128.LoadUnsafe(ref p, i + w), vy));
            }
            for (; i + w <= n; i += w) a0 = TAgg.Invoke(a0, TTransform.Invoke(Vector128.LoadUnsafe(ref p, i), vy));
            if (i < n)
            {
                var t = TTransform.Invoke(Vector128.LoadUnsafe(ref p, n - w), vy);
                var counted = Vector128.LessThan(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(w - (n - i))));
                a1 = TAgg.Invoke(a1, Vector128.ConditionalSelect(counted, id, t));
            }
            return TAgg.Invoke(TAgg.Invoke(a0, a1));
        }
        T acc = TAgg.Identity;
        for (; i < n; i++) acc = TAgg.Invoke(acc, TTransform.Invoke(Unsafe.Add(ref p, i), y));
        return acc;
    }

    /// <summary>
    /// d[i] = TTransform(x[i], y) and returns the TAgg-fold of the d[i] in the same pass (softmax's
    /// exp-and-sum). d may be x itself.
    /// </summary>
    public static T TransformAggregate<TTransform, TAgg, T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where TTransform : IBinaryOperator<T> where TAgg : IAggregationOperator<T> where T : unmanaged
    {
        if (destination.Length < x.Length) ThrowShort(x.Length, destination.Length);
        ref T p = ref MemoryMarshal.GetReference(x);
        ref T d = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)x.Length, i = 0;
        T acc = TAgg.Identity;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= (nuint)Vector512<T>.Count)
        {
            nuint w = (nuint)Vector512<T>.Count;
            var vy = Vector512.Create(y);
            Vector512<T> a0 = Vector512.Create(TAgg.Identity), a1 = a0;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var t0 = TTransform.Invoke(Vector512.LoadUnsafe(ref p, i), vy);
                var t1 = TTransform.Invoke(Vector512.LoadUnsafe(ref p, i + w), vy);
                t0.StoreUnsafe(ref d, i);
                t1.StoreUnsafe(ref d, i + w);
                a0 = TAgg.Invoke(a0, t0);
                a1 = TAgg.Invoke(a1, t1);
            }
            for (; i + w <= n; i += w)
            {
                var t0 = TTransform.Invoke(Vector512.LoadUnsafe(ref p, i), vy);
                t0.StoreUnsafe(ref d, i);
                a0 = TAgg.Invoke(a0, t0);
            }
            acc = TAgg.Invoke(TAgg.Invoke(a0, a1));
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= (nuint)Vector256<T>.Count)
        {
            nuint w = (nuint)Vector256<T>.Count;
            var vy = Vector256.Create(y);
            Vector256<T> a0 = Vector256.Create(TAgg.Identity), a1 = a0;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var t0 = TTransform.Invoke(Vector256.LoadUnsafe(ref p, i), vy);
                var t1 = TTransform.Invoke(Vector256.LoadUnsafe(ref p, i + w), vy);
                t0.StoreUnsafe(ref d, i);
                t1.StoreUnsafe(ref d, i + w);
                a0 = TAgg.Invoke(a0, t0);
                a1 = TAgg.Invoke(a1, t1);
            }
            for (; i + w <= n; i += w)
            {
                var t0 = TTransform.Invoke(Vector256.LoadUnsafe(ref p, i), vy);
                t0.StoreUnsafe(ref d, i);
                a0 = TAgg.Invoke(a0, t0);
            }
            acc = TAgg.Invoke(TAgg.Invoke(a0, a1));
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= (nuint)Vector128<T>.Count)
        {
            nuint w = (nuint)Vector128<T>.Count;
            var vy = Vector128.Create(y);
            Vector128<T> a0 = Vector128.Create(TAgg.Identity);
            for (; i + w <= n; i += w)
            {
                var t0 = TTransform.Invoke(Vector128.LoadUnsafe(ref p, i), vy);
                t0.StoreUnsafe(ref d, i);
                a0 = TAgg.Invoke(a0, t0);
            }
            acc = TAgg.Invoke(a0);
        }
        // Scalar tail (fewer than one vector) or the whole span without hardware vectors.
        for (; i < n; i++)
        {
            T t = TTransform.Invoke(Unsafe.Add(ref p, i), y);
            Unsafe.Add(ref d, i) = t;
            acc = TAgg.Invoke(acc, t);
        }
        return acc;
    }

    private static void ThrowShort(int needed, int got)
        => throw new ArgumentException($"Destination span of length {got} is shorter than the input ({needed}).", "destination");
}
