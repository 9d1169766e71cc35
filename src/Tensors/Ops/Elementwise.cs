using System.Numerics;
using NativeFree.Tensors.Simd;

namespace NativeFree.Tensors;

// Elementwise operations with NumPy broadcasting. Each op is an operator struct (Ops/Simd) run by the
// SIMD engine; NaiveEngine keeps the scalar reference the tests compare against. Every op has a
// destination overload that writes into an existing tensor of the result's shape (no allocation; the
// destination may be one of the inputs for an in-place update) and returns it.
public static partial class Tensor
{
    /// <summary>a + b (broadcast).</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<AddOperator<T>, T>(a, b);
    /// <summary>a + b (broadcast), written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<AddOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>a − b (broadcast).</summary>
    public static Tensor<T> Sub<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<SubtractOperator<T>, T>(a, b);
    /// <summary>a − b (broadcast), written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Sub<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<SubtractOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>a · b elementwise (broadcast).</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<MultiplyOperator<T>, T>(a, b);
    /// <summary>a · b elementwise (broadcast), written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<MultiplyOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>a / b elementwise (broadcast).</summary>
    public static Tensor<T> Div<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<DivideOperator<T>, T>(a, b);
    /// <summary>a / b elementwise (broadcast), written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Div<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<DivideOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>aᵇ elementwise (broadcast).</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<PowOperator<T>, T>(a, b);
    /// <summary>aᵇ elementwise (broadcast), written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<PowOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>max(a, b) elementwise (broadcast); NaN if either is NaN.</summary>
    public static Tensor<T> Maximum<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<MaximumOperator<T>, T>(a, b);
    /// <summary>max(a, b) elementwise (broadcast); NaN if either is NaN, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Maximum<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<MaximumOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>min(a, b) elementwise (broadcast); NaN if either is NaN.</summary>
    public static Tensor<T> Minimum<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<MinimumOperator<T>, T>(a, b);
    /// <summary>min(a, b) elementwise (broadcast); NaN if either is NaN, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Minimum<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<MinimumOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a = b, else 0.</summary>
    public static Tensor<T> Equal<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<EqualOperator<T>, T>(a, b);
    /// <summary>1 where a = b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Equal<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<EqualOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a ≠ b, else 0.</summary>
    public static Tensor<T> NotEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<NotEqualOperator<T>, T>(a, b);
    /// <summary>1 where a ≠ b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> NotEqual<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<NotEqualOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a &lt; b, else 0.</summary>
    public static Tensor<T> Less<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<LessOperator<T>, T>(a, b);
    /// <summary>1 where a &lt; b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Less<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<LessOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a ≤ b, else 0.</summary>
    public static Tensor<T> LessEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<LessEqualOperator<T>, T>(a, b);
    /// <summary>1 where a ≤ b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> LessEqual<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<LessEqualOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a &gt; b, else 0.</summary>
    public static Tensor<T> Greater<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<GreaterOperator<T>, T>(a, b);
    /// <summary>1 where a &gt; b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> Greater<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<GreaterOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>1 where a ≥ b, else 0.</summary>
    public static Tensor<T> GreaterEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => BinaryNew<GreaterEqualOperator<T>, T>(a, b);
    /// <summary>1 where a ≥ b, else 0, written into <paramref name="destination"/> (which must have the broadcast shape); returns it.</summary>
    public static Tensor<T> GreaterEqual<T>(Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<GreaterEqualOperator<T>, T>(a, b, destination);
        return destination;
    }

    /// <summary>a + s.</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(a.ShapeArray);
        ElementwiseEngine.Binary<AddOperator<T>, T>(a, s, d);
        return d;
    }
    /// <summary>a + s, written into <paramref name="destination"/> (shape of <paramref name="a"/>); returns it.</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, T s, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<AddOperator<T>, T>(a, s, destination);
        return destination;
    }

    /// <summary>a − s.</summary>
    public static Tensor<T> Sub<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(a.ShapeArray);
        ElementwiseEngine.Binary<SubtractOperator<T>, T>(a, s, d);
        return d;
    }
    /// <summary>a − s, written into <paramref name="destination"/> (shape of <paramref name="a"/>); returns it.</summary>
    public static Tensor<T> Sub<T>(Tensor<T> a, T s, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<SubtractOperator<T>, T>(a, s, destination);
        return destination;
    }

    /// <summary>a · s.</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(a.ShapeArray);
        ElementwiseEngine.Binary<MultiplyOperator<T>, T>(a, s, d);
        return d;
    }
    /// <summary>a · s, written into <paramref name="destination"/> (shape of <paramref name="a"/>); returns it.</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, T s, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<MultiplyOperator<T>, T>(a, s, destination);
        return destination;
    }

    /// <summary>a / s.</summary>
    public static Tensor<T> Div<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(a.ShapeArray);
        ElementwiseEngine.Binary<DivideOperator<T>, T>(a, s, d);
        return d;
    }
    /// <summary>a / s, written into <paramref name="destination"/> (shape of <paramref name="a"/>); returns it.</summary>
    public static Tensor<T> Div<T>(Tensor<T> a, T s, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<DivideOperator<T>, T>(a, s, destination);
        return destination;
    }

    /// <summary>aˢ.</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(a.ShapeArray);
        ElementwiseEngine.Binary<PowOperator<T>, T>(a, s, d);
        return d;
    }
    /// <summary>aˢ, written into <paramref name="destination"/> (shape of <paramref name="a"/>); returns it.</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, T s, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Binary<PowOperator<T>, T>(a, s, destination);
        return destination;
    }

    /// <summary>−x.</summary>
    public static Tensor<T> Neg<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<NegateOperator<T>, T>(x);
    /// <summary>−x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Neg<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<NegateOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>|x|.</summary>
    public static Tensor<T> Abs<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<AbsOperator<T>, T>(x);
    /// <summary>|x|, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Abs<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<AbsOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>sign(x) ∈ {−1, 0, 1} (NaN stays NaN).</summary>
    public static Tensor<T> Sign<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SignOperator<T>, T>(x);
    /// <summary>sign(x) ∈ {−1, 0, 1} (NaN stays NaN), written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Sign<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SignOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>eˣ.</summary>
    public static Tensor<T> Exp<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<ExpOperator<T>, T>(x);
    /// <summary>eˣ, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Exp<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<ExpOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>ln x.</summary>
    public static Tensor<T> Log<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<LogOperator<T>, T>(x);
    /// <summary>ln x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Log<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<LogOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>ln(1 + x), accurate near 0.</summary>
    public static Tensor<T> Log1p<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<Log1pOperator<T>, T>(x);
    /// <summary>ln(1 + x), accurate near 0, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Log1p<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<Log1pOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>eˣ − 1, accurate near 0.</summary>
    public static Tensor<T> Expm1<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<Expm1Operator<T>, T>(x);
    /// <summary>eˣ − 1, accurate near 0, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Expm1<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<Expm1Operator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>√x.</summary>
    public static Tensor<T> Sqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SqrtOperator<T>, T>(x);
    /// <summary>√x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Sqrt<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SqrtOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>1/√x.</summary>
    public static Tensor<T> Rsqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<RsqrtOperator<T>, T>(x);
    /// <summary>1/√x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Rsqrt<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<RsqrtOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>x².</summary>
    public static Tensor<T> Square<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SquareOperator<T>, T>(x);
    /// <summary>x², written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Square<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SquareOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>max(x, 0).</summary>
    public static Tensor<T> Relu<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<ReluOperator<T>, T>(x);
    /// <summary>max(x, 0), written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Relu<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<ReluOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>GELU, erf form: x·Φ(x).</summary>
    public static Tensor<T> Gelu<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<GeluOperator<T>, T>(x);
    /// <summary>GELU, erf form: x·Φ(x), written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Gelu<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<GeluOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>tanh x.</summary>
    public static Tensor<T> Tanh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<TanhOperator<T>, T>(x);
    /// <summary>tanh x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Tanh<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<TanhOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>1/(1 + e^(−x)).</summary>
    public static Tensor<T> Sigmoid<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SigmoidOperator<T>, T>(x);
    /// <summary>1/(1 + e^(−x)), written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Sigmoid<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SigmoidOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>ln(1 + eˣ).</summary>
    public static Tensor<T> Softplus<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SoftplusOperator<T>, T>(x);
    /// <summary>ln(1 + eˣ), written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Softplus<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SoftplusOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>sin x.</summary>
    public static Tensor<T> Sin<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<SinOperator<T>, T>(x);
    /// <summary>sin x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Sin<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<SinOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>cos x.</summary>
    public static Tensor<T> Cos<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<CosOperator<T>, T>(x);
    /// <summary>cos x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Cos<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<CosOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>erf x.</summary>
    public static Tensor<T> Erf<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => UnaryNew<ErfOperator<T>, T>(x);
    /// <summary>erf x, written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/> itself); returns it.</summary>
    public static Tensor<T> Erf<T>(Tensor<T> x, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Unary<ErfOperator<T>, T>(x, destination);
        return destination;
    }

    /// <summary>min(max(x, lo), hi).</summary>
    public static Tensor<T> Clamp<T>(Tensor<T> x, T lo, T hi) where T : unmanaged, IFloatingPointIeee754<T>
        => Clamp(x, lo, hi, ElementwiseEngine.Allocate<T>(x.ShapeArray));

    /// <summary>min(max(x, lo), hi), written into <paramref name="destination"/> (shape of <paramref name="x"/>); returns it.</summary>
    public static Tensor<T> Clamp<T>(Tensor<T> x, T lo, T hi, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (lo > hi) throw new ArgumentException($"Clamp bounds are reversed: lo={lo} > hi={hi}.");
        ElementwiseEngine.CheckDestination(destination, x.Shape, "the input");
        if (x.IsContiguous && destination.IsContiguous && x.Length > 0)
        {
            var xs = ElementwiseEngine.Unalias(x, destination).AsSpan();
            SimdLoops.TernaryLoop<ClampOperator<T>, T, Simd.Contiguous, Simd.Broadcast, Simd.Broadcast>(
                ref xs[0], ref lo, ref hi, ref destination.AsSpan()[0], (nuint)xs.Length);
            return destination;
        }
        ElementwiseEngine.Ternary<ClampOperator<T>, T>(x, Scalar(lo), Scalar(hi), destination);
        return destination;
    }

    /// <summary>cond ≠ 0 ? a : b elementwise (all three broadcast together).</summary>
    public static Tensor<T> Where<T>(Tensor<T> cond, Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Where(cond, a, b, ElementwiseEngine.Allocate<T>(ShapeUtil.Broadcast(ShapeUtil.Broadcast(cond.Shape, a.Shape), b.Shape)));

    /// <summary>cond ≠ 0 ? a : b, written into <paramref name="destination"/> (the broadcast shape); returns it.</summary>
    public static Tensor<T> Where<T>(Tensor<T> cond, Tensor<T> a, Tensor<T> b, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ElementwiseEngine.Ternary<WhereOperator<T>, T>(cond, a, b, destination);
        return destination;
    }

    /// <summary>
    /// destination += alpha · source, in place (axpy; <paramref name="source"/> broadcasts to the destination's
    /// shape). The update of SGD and of gradient accumulation; allocates nothing for contiguous tensors.
    /// </summary>
    public static void AddScaledInPlace<T>(Tensor<T> destination, T alpha, Tensor<T> source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        ElementwiseEngine.CheckDestination(destination, destination.Shape, "the destination");
        if (destination.IsContiguous && source.IsContiguous && ShapeUtil.SameShape(source.Shape, destination.Shape)
            && !ReferenceEquals(source.Storage, destination.Storage))
        {
            if (destination.Length == 0) return;
            var d = destination.AsSpan();
            SimdLoops.TernaryLoop<MultiplyAddOperator<T>, T, Simd.Contiguous, Simd.Broadcast, Simd.Contiguous>(
                ref source.AsSpan()[0], ref alpha, ref d[0], ref d[0], (nuint)d.Length);
            return;
        }
        // Broadcasting or overlapping storage: the general engine (it copies an aliased source first).
        var shape = ShapeUtil.Broadcast(destination.Shape, source.Shape);
        if (!ShapeUtil.SameShape(shape, destination.Shape))
            throw new ArgumentException($"AddScaledInPlace: source of shape {ShapeUtil.Format(source.Shape)} does not broadcast to the destination's shape {ShapeUtil.Format(destination.Shape)}.", nameof(source));
        ElementwiseEngine.Ternary<MultiplyAddOperator<T>, T>(source, Scalar(alpha), destination, destination);
    }

    private static Tensor<T> UnaryNew<TOp, T>(Tensor<T> x) where TOp : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(x.ShapeArray);
        ElementwiseEngine.Unary<TOp, T>(x, d);
        return d;
    }

    private static Tensor<T> BinaryNew<TOp, T>(Tensor<T> a, Tensor<T> b) where TOp : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = ElementwiseEngine.Allocate<T>(ShapeUtil.SameShape(a.Shape, b.Shape) ? a.ShapeArray : ShapeUtil.Broadcast(a.Shape, b.Shape));
        ElementwiseEngine.Binary<TOp, T>(a, b, d);
        return d;
    }
}

public sealed partial class Tensor<T>
{
    /// <summary>a + b (broadcast).</summary>
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => Tensor.Add(a, b);
    /// <summary>a − b (broadcast).</summary>
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => Tensor.Sub(a, b);
    /// <summary>a · b elementwise (broadcast).</summary>
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => Tensor.Mul(a, b);
    /// <summary>a / b elementwise (broadcast).</summary>
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => Tensor.Div(a, b);
    /// <summary>−a.</summary>
    public static Tensor<T> operator -(Tensor<T> a) => Tensor.Neg(a);
    /// <summary>a + s.</summary>
    public static Tensor<T> operator +(Tensor<T> a, T s) => Tensor.Add(a, s);
    /// <summary>a − s.</summary>
    public static Tensor<T> operator -(Tensor<T> a, T s) => Tensor.Sub(a, s);
    /// <summary>a · s.</summary>
    public static Tensor<T> operator *(Tensor<T> a, T s) => Tensor.Mul(a, s);
    /// <summary>s · a.</summary>
    public static Tensor<T> operator *(T s, Tensor<T> a) => Tensor.Mul(a, s);
    /// <summary>a / s (a true division, not a multiplication by 1/s).</summary>
    public static Tensor<T> operator /(Tensor<T> a, T s) => Tensor.Div(a, s);
}
