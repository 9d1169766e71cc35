using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

// The operator contracts of the SIMD drivers, after dotnet/runtime's TensorPrimitives: an op is a
// stateless struct whose static methods the JIT specialises and inlines into one generic loop per
// shape of op. The loop (SimdLoops) owns tails, unrolling and ISA dispatch; the op owns only math.

/// <summary>y = f(x), lane by lane.</summary>
internal interface IUnaryOperator<T> where T : unmanaged
{
    /// <summary>False when only the scalar <see cref="Invoke(T)"/> is meaningful (the driver then never calls the vector forms).</summary>
    static virtual bool Vectorizable => true;

    static abstract T Invoke(T x);
    static abstract Vector128<T> Invoke(Vector128<T> x);
    static abstract Vector256<T> Invoke(Vector256<T> x);
    static abstract Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>z = f(x, y), lane by lane.</summary>
internal interface IBinaryOperator<T> where T : unmanaged
{
    /// <summary>False when only the scalar <see cref="Invoke(T, T)"/> is meaningful.</summary>
    static virtual bool Vectorizable => true;

    static abstract T Invoke(T x, T y);
    static abstract Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);
    static abstract Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);
    static abstract Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}

/// <summary>w = f(x, y, z), lane by lane.</summary>
internal interface ITernaryOperator<T> where T : unmanaged
{
    static abstract T Invoke(T x, T y, T z);
    static abstract Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z);
    static abstract Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z);
    static abstract Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z);
}

/// <summary>
/// An associative combine (its binary <c>Invoke</c>) with an identity element and a horizontal
/// reduction of one vector's lanes: sum, max, min.
/// </summary>
internal interface IAggregationOperator<T> : IBinaryOperator<T> where T : unmanaged
{
    static abstract T Identity { get; }
    static abstract T Invoke(Vector128<T> x);
    static abstract T Invoke(Vector256<T> x);
    static abstract T Invoke(Vector512<T> x);
}

/// <summary>Compile-time tag for an operand of a row loop: a contiguous run, or one value broadcast along the row.</summary>
internal interface IOperandKind
{
    static abstract bool IsScalar { get; }
}

/// <summary>The operand advances one element per lane.</summary>
internal readonly struct Contiguous : IOperandKind
{
    public static bool IsScalar => false;
}

/// <summary>The operand is a single value repeated (stride 0).</summary>
internal readonly struct Broadcast : IOperandKind
{
    public static bool IsScalar => true;
}
