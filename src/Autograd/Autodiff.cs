using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// The functional API: gradients of functions rather than of recorded vars. Each call builds
/// fresh leaves from the given tensors, so nothing touches <see cref="Var{T}.Grad"/>.
/// </summary>
public static class Autodiff
{
    /// <summary>
    /// The gradients of <paramref name="output"/> with respect to <paramref name="inputs"/> (like
    /// <c>torch.autograd.grad</c>): null for an input the output does not depend on. No Grad is changed.
    /// </summary>
    public static Var<T>?[] Gradients<T>(Var<T> output, IReadOnlyList<Var<T>> inputs, Tensor<T>? seed = null,
        bool retainGraph = false, bool createGraph = false, IBackwardObserver<T>? observer = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!output.RequiresGrad) return new Var<T>?[inputs.Count];
        return Engine<T>.Run(output, seed, retainGraph || createGraph, createGraph, inputs, observer)!;
    }

    /// <summary>∇f(x) for a scalar-valued f.</summary>
    public static Tensor<T> Grad<T>(Func<Var<T>, Var<T>> f, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => ValueAndGrad(f, x).Gradient;

    /// <summary>f(x) and ∇f(x) for a scalar-valued f, from one forward and one backward pass.</summary>
    public static (Tensor<T> Value, Tensor<T> Gradient) ValueAndGrad<T>(Func<Var<T>, Var<T>> f, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (value, grads) = ValueAndGrad(xs => f(xs[0]), x);
        return (value, grads[0]);
    }

    /// <summary>f(x₁…xₙ) and its gradient with respect to every argument, for a scalar-valued f.</summary>
    public static (Tensor<T> Value, Tensor<T>[] Gradients) ValueAndGrad<T>(Func<Var<T>[], Var<T>> f, params Tensor<T>[] xs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var leaves = Leaves(xs);
        var y = f(leaves);
        RequireScalar(y, "ValueAndGrad");
        return (y.Value, Dense(Gradients(y, leaves), leaves));
    }

    /// <summary>f(x) and the vector-Jacobian product vᵀ·∂f/∂x (v has the shape of f(x)).</summary>
    public static (Tensor<T> Value, Tensor<T> Vjp) Vjp<T>(Func<Var<T>, Var<T>> f, Tensor<T> x, Tensor<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var leaf = Var<T>.Parameter(x);
        var y = f(leaf);
        return (y.Value, Dense(Gradients(y, [leaf], v), [leaf])[0]);
    }

    /// <summary>
    /// f(x) and the Jacobian-vector product ∂f/∂x·v (v has the shape of x), by the double-VJP trick:
    /// u ↦ uᵀJ is linear in u, so differentiating (uᵀJ)·v with respect to u gives J·v.
    /// </summary>
    public static (Tensor<T> Value, Tensor<T> Jvp) Jvp<T>(Func<Var<T>, Var<T>> f, Tensor<T> x, Tensor<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        RequireSameShape(x, v, "Jvp");
        var leaf = Var<T>.Parameter(x);
        var y = f(leaf);
        var u = Var<T>.Parameter(Tensor.Zeros<T>(y.Value.ShapeArray));
        var zero = Tensor.Zeros<T>(y.Value.ShapeArray);
        if (!y.RequiresGrad) return (y.Value, zero);
        var uJ = Gradients((y * u).Sum(), [leaf], createGraph: true)[0];
        if (uJ is null || !uJ.RequiresGrad) return (y.Value, zero);
        return (y.Value, Gradients((uJ * v).Sum(), [u])[0]?.Value ?? zero);
    }

    /// <summary>
    /// The Hessian-vector product ∇²f(x)·v for a scalar f, by Pearlmutter's trick: the gradient of
    /// ∇f(x)·v. Costs about two gradients; the Hessian is never formed.
    /// </summary>
    public static Tensor<T> Hvp<T>(Func<Var<T>, Var<T>> f, Tensor<T> x, Tensor<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        RequireSameShape(x, v, "Hvp");
        var leaf = Var<T>.Parameter(x);
        var y = f(leaf);
        RequireScalar(y, "Hvp");
        var g = Gradients(y, [leaf], createGraph: true)[0];
        if (g is null || !g.RequiresGrad) return Tensor.Zeros<T>(x.ShapeArray);
        return Gradients(Var<T>.Dot(g, Var<T>.Constant(v)), [leaf])[0]?.Value ?? Tensor.Zeros<T>(x.ShapeArray);
    }

    /// <summary>
    /// The Hessian-vector product for a scalar f of several arguments: for each argument i,
    /// Σⱼ ∂²f/∂xᵢ∂xⱼ · vⱼ (Pearlmutter's trick, no Hessian formed).
    /// </summary>
    public static Tensor<T>[] Hvp<T>(Func<Var<T>[], Var<T>> f, Tensor<T>[] xs, Tensor<T>[] vs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(vs);
        if (vs.Length != xs.Length) throw new ArgumentException($"Hvp: {vs.Length} directions for {xs.Length} arguments; give one per argument.", nameof(vs));
        for (int i = 0; i < xs.Length; i++) RequireSameShape(xs[i], vs[i], $"Hvp (argument {i})");
        var leaves = Leaves(xs);
        var y = f(leaves);
        RequireScalar(y, "Hvp");
        var grads = Gradients(y, leaves, createGraph: true);
        Var<T>? dot = null;
        for (int i = 0; i < grads.Length; i++)
            if (grads[i] is { RequiresGrad: true } g) { var term = Var<T>.Dot(g, Var<T>.Constant(vs[i])); dot = dot is null ? term : dot + term; }
        if (dot is null) return Dense(new Var<T>?[leaves.Length], leaves);
        return Dense(Gradients(dot, leaves), leaves);
    }

    /// <summary>The Jacobian ∂f/∂x, of shape f(x).shape ++ x.shape, one backward pass per output element (small inputs).</summary>
    public static Tensor<T> Jacobian<T>(Func<Var<T>, Var<T>> f, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var leaf = Var<T>.Parameter(x);
        return JacobianOf(f(leaf), leaf, createGraph: false).Value;
    }

    /// <summary>The Hessian ∇²f(x) of a scalar f, of shape x.shape ++ x.shape (small inputs).</summary>
    public static Tensor<T> Hessian<T>(Func<Var<T>, Var<T>> f, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var leaf = Var<T>.Parameter(x);
        var y = f(leaf);
        RequireScalar(y, "Hessian");
        var g = Gradients(y, [leaf], createGraph: true)[0];
        if (g is null) return Tensor.Zeros<T>([.. x.ShapeArray, .. x.ShapeArray]);
        return JacobianOf(g, leaf, createGraph: false).Value;
    }

    // Row o of the Jacobian is the VJP with the o-th unit vector.
    internal static Var<T> JacobianOf<T>(Var<T> y, Var<T> x, bool createGraph) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = y.Value.Length, n = x.Value.Length;
        var result = new T[m * n];
        if (y.RequiresGrad)
        {
            var seed = Tensor.Zeros<T>(y.Value.ShapeArray);
            var s = seed.AsSpan();
            for (int o = 0; o < m; o++)
            {
                s.Clear();
                s[o] = T.One;
                var g = Gradients(y, [x], seed, retainGraph: true, createGraph: createGraph)[0];
                g?.Value.CopyTo(result.AsSpan(o * n, n));
            }
        }
        return Var<T>.Constant(Tensor.FromArray(result, [.. y.Value.ShapeArray, .. x.Value.ShapeArray]));
    }

    private static Var<T>[] Leaves<T>(Tensor<T>[] xs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(xs);
        var leaves = new Var<T>[xs.Length];
        for (int i = 0; i < xs.Length; i++) leaves[i] = Var<T>.Parameter(xs[i] ?? throw new ArgumentNullException(nameof(xs), $"Input {i} is null."));
        return leaves;
    }

    private static Tensor<T>[] Dense<T>(Var<T>?[] grads, Var<T>[] leaves) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new Tensor<T>[grads.Length];
        for (int i = 0; i < grads.Length; i++) result[i] = grads[i]?.Value ?? Tensor.Zeros<T>(leaves[i].Value.ShapeArray);
        return result;
    }

    private static void RequireScalar<T>(Var<T> y, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Value.Length != 1)
            throw new ArgumentException($"{what} needs a scalar-valued function; f returned shape {ShapeUtil.Format(y.Shape)}. Reduce it (e.g. .Sum()) or use Vjp/Jacobian.");
    }

    private static void RequireSameShape<T>(Tensor<T> x, Tensor<T> v, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!ShapeUtil.SameShape(x.Shape, v.Shape))
            throw new ArgumentException($"{what}: the direction v has shape {ShapeUtil.Format(v.Shape)} but x has shape {ShapeUtil.Format(x.Shape)}; they must match.", nameof(v));
    }
}
