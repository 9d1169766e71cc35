using NativeFree.Tensors;

namespace NativeFree.Autograd;

// The patch pair: im2col and col2im are linear and adjoint to each other, so each one's rule is
// the other. Convolution and pooling (in Nn) are derived from them with matmul and reductions.
public sealed partial class Var<T>
{
    private sealed record WindowState(Window2d Window, int[] InputShape);

    /// <summary>Patches of x [N, C, H, W] as columns [N, C·kh·kw, oh·ow] (see <see cref="Tensor.Im2Col{T}"/>); <paramref name="padValue"/> fills outside the input.</summary>
    public Var<T> Im2Col(Window2d window, T padValue = default)
        => Record(OpRegistry.Im2Col, Tensor.Im2Col(Value, window, padValue), Im2ColRule, new WindowState(window, Value.ShapeArray), this);
    private static readonly BackwardRule<T> Im2ColRule = static (n, g) =>
    {
        var s = (WindowState)n.State!;
        return [g.Col2Im(s.InputShape, s.Window)];
    };

    /// <summary>The adjoint of <see cref="Im2Col"/>: sums columns back into an [N, C, H, W] tensor of shape <paramref name="inputShape"/>.</summary>
    public Var<T> Col2Im(int[] inputShape, Window2d window)
        => Record(OpRegistry.Col2Im, Tensor.Col2Im(Value, inputShape, window), Col2ImRule, new WindowState(window, inputShape), this);
    private static readonly BackwardRule<T> Col2ImRule = static (n, g) => [g.Im2Col(((WindowState)n.State!).Window)];
}
