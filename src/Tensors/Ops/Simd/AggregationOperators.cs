using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

// Aggregation operators: an associative combine, its identity and a horizontal fold of one vector.

/// <summary>Σ: combine x + y, identity 0.</summary>
internal readonly struct SumOperator<T> : IAggregationOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Identity => T.Zero;
    public static T Invoke(T x, T y) => x + y;
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x + y;
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x + y;
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x + y;
    public static T Invoke(Vector128<T> x) => Vector128.Sum(x);
    public static T Invoke(Vector256<T> x) => Vector256.Sum(x);
    public static T Invoke(Vector512<T> x) => Vector512.Sum(x);
}

/// <summary>max: combine max(x, y) propagating NaN, identity −∞.</summary>
internal readonly struct MaxOperator<T> : IAggregationOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Identity => T.NegativeInfinity;
    public static T Invoke(T x, T y) => T.Max(x, y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Max(x, y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Max(x, y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Max(x, y);
    public static T Invoke(Vector128<T> x)
    {
        T m = x.GetElement(0);
        for (int i = 1; i < Vector128<T>.Count; i++) m = T.Max(m, x.GetElement(i));
        return m;
    }
    public static T Invoke(Vector256<T> x) => Invoke(Vector128.Max(x.GetLower(), x.GetUpper()));
    public static T Invoke(Vector512<T> x) => Invoke(Vector256.Max(x.GetLower(), x.GetUpper()));
}

/// <summary>min: combine min(x, y) propagating NaN, identity +∞.</summary>
internal readonly struct MinOperator<T> : IAggregationOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Identity => T.PositiveInfinity;
    public static T Invoke(T x, T y) => T.Min(x, y);
    public static Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.Min(x, y);
    public static Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.Min(x, y);
    public static Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.Min(x, y);
    public static T Invoke(Vector128<T> x)
    {
        T m = x.GetElement(0);
        for (int i = 1; i < Vector128<T>.Count; i++) m = T.Min(m, x.GetElement(i));
        return m;
    }
    public static T Invoke(Vector256<T> x) => Invoke(Vector128.Min(x.GetLower(), x.GetUpper()));
    public static T Invoke(Vector512<T> x) => Invoke(Vector256.Min(x.GetLower(), x.GetUpper()));
}
