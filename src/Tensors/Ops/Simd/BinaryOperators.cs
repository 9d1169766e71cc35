using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

// Binary elementwise operators (and the transforms the reductions fold).

/// <summary>z = x + y.</summary>
internal readonly struct AddOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x + y;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x + y;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x + y;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x + y;
}

/// <summary>z = x − y.</summary>
internal readonly struct SubtractOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x - y;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x - y;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x - y;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x - y;
}

/// <summary>z = x·y.</summary>
internal readonly struct MultiplyOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x * y;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x * y;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x * y;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x * y;
}

/// <summary>z = x / y.</summary>
internal readonly struct DivideOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x / y;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x / y;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x / y;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x / y;
}

/// <summary>z = max(x, y), NaN if either is NaN, max(−0, +0) = +0 (IEEE 754-2019 maximum).</summary>
internal readonly struct MaximumOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => T.Max(x, y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Max(x, y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Max(x, y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Max(x, y);
}

/// <summary>z = min(x, y), NaN if either is NaN, min(−0, +0) = −0 (IEEE 754-2019 minimum).</summary>
internal readonly struct MinimumOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => T.Min(x, y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Min(x, y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Min(x, y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Min(x, y);
}

/// <summary>z = 1 if x = y else 0.</summary>
internal readonly struct EqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x == y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Equals(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Equals(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Equals(x, y) & Vector512<T>.One;
}

/// <summary>z = 1 if x ≠ y else 0 (NaN ≠ NaN).</summary>
internal readonly struct NotEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x != y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => ~Vector128.Equals(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => ~Vector256.Equals(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => ~Vector512.Equals(x, y) & Vector512<T>.One;
}

/// <summary>z = 1 if x &lt; y else 0.</summary>
internal readonly struct LessOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x < y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.LessThan(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.LessThan(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.LessThan(x, y) & Vector512<T>.One;
}

/// <summary>z = 1 if x ≤ y else 0.</summary>
internal readonly struct LessEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x <= y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.LessThanOrEqual(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.LessThanOrEqual(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.LessThanOrEqual(x, y) & Vector512<T>.One;
}

/// <summary>z = 1 if x &gt; y else 0.</summary>
internal readonly struct GreaterOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x > y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThan(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThan(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThan(x, y) & Vector512<T>.One;
}

/// <summary>z = 1 if x ≥ y else 0.</summary>
internal readonly struct GreaterEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x >= y ? T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThanOrEqual(x, y) & Vector128<T>.One;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThanOrEqual(x, y) & Vector256<T>.One;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThanOrEqual(x, y) & Vector512<T>.One;
}

/// <summary>z = x (y ignored): the identity transform of a plain reduction.</summary>
internal readonly struct FirstOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => x;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x;
}

/// <summary>z = |x| (y ignored): the 1-norm and ∞-norm transform.</summary>
internal readonly struct AbsFirstOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => T.Abs(x);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Abs(x);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Abs(x);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Abs(x);
}

/// <summary>z = (x − y)².</summary>
internal readonly struct SquaredDifferenceOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => (x - y) * (x - y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => (x - y) * (x - y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => (x - y) * (x - y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => (x - y) * (x - y);
}

/// <summary>z = e^(x − y): softmax and logsumexp with the row maximum as y.</summary>
internal readonly struct ExpSubtractOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y) => T.Exp(x - y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => VMath.Exp(x - y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => VMath.Exp(x - y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => VMath.Exp(x - y);
}

/// <summary>
/// z = xʸ (T.Pow, IEEE pow semantics for negative bases and integer exponents). Scalar only: a vector
/// exp(y·ln x) loses accuracy as |y·ln x| grows and gets negative bases wrong, and TensorPrimitives.Pow is
/// scalar as well.
/// </summary>
internal readonly struct PowOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => false;
    public static T Invoke(T x, T y) => T.Pow(x, y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => throw new NotSupportedException();
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => throw new NotSupportedException();
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => throw new NotSupportedException();
}

// Ternary operators.

/// <summary>w = x ≠ 0 ? y : z (NaN counts as true, ±0 as false).</summary>
internal readonly struct WhereOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => x != T.Zero ? y : z;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => Vector128.ConditionalSelect(Vector128.Equals(x, Vector128<T>.Zero), z, y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<T>.Zero), z, y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => Vector512.ConditionalSelect(Vector512.Equals(x, Vector512<T>.Zero), z, y);
}

/// <summary>w = min(max(x, y), z): x clamped to [y, z].</summary>
internal readonly struct ClampOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => T.Min(T.Max(x, y), z);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => Vector128.Min(Vector128.Max(x, y), z);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => Vector256.Min(Vector256.Max(x, y), z);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => Vector512.Min(Vector512.Max(x, y), z);
}

/// <summary>w = x·y + z (axpy with y = α; two roundings, like the scalar loop it replaces).</summary>
internal readonly struct MultiplyAddOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => x * y + z;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => x * y + z;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => x * y + z;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => x * y + z;
}

/// <summary>w = z + (x − y)²: variance over a leading axis, row by row.</summary>
internal readonly struct AccumulateSquaredDifferenceOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => z + (x - y) * (x - y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => z + (x - y) * (x - y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => z + (x - y) * (x - y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => z + (x - y) * (x - y);
}

/// <summary>w = z + e^(x − y): logsumexp and softmax over a leading axis, row by row.</summary>
internal readonly struct AccumulateExpSubtractOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => z + T.Exp(x - y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => z + VMath.Exp(x - y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => z + VMath.Exp(x - y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => z + VMath.Exp(x - y);
}

/// <summary>w = e^(x − y)·z: softmax's final write, y the maximum and z = 1/Σ.</summary>
internal readonly struct ExpSubtractMultiplyOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x, T y, T z) => T.Exp(x - y) * z;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => VMath.Exp(x - y) * z;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => VMath.Exp(x - y) * z;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => VMath.Exp(x - y) * z;
}
