using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// An arena for one training step. While a scope is open on a thread, the fast ops of the engine
/// (matmul, add, relu, cross-entropy, sums and their backward rules) take their output buffers
/// from a per-thread pool instead of allocating, and when the scope is disposed every buffer
/// rented inside it goes back to the pool for the next step. So a loop like
/// <code>
/// for (…) { using var scope = new GraphScope(); var loss = Model(x); loss.Backward(); Update(); }
/// </code>
/// reaches a steady state that allocates (almost) nothing.
/// </summary>
/// <remarks>
/// The price of an arena: values and gradients created inside the scope must not be used after it
/// ends (their storage is reused by the next step). Copy what you keep (<c>Tensor.Clone()</c>). Leaf
/// gradients (<see cref="Var{T}.Grad"/> of parameters) are the exception: after a plain backward
/// (no createGraph) they live in their own buffers and survive the scope. With createGraph, the
/// gradients are graph values and are valid only inside the scope. Scopes nest; each returns what
/// was rented while it was the innermost one. Without a scope nothing is pooled.
/// <para>
/// Unlike <see cref="GradMode"/> and <see cref="Anomaly"/> (which follow the async flow), a scope is bound to the
/// thread that opened it: its pool and its list of rented buffers are per thread, so an arena needs no lock.
/// Do not <c>await</c> inside a scope: the continuation may resume on another thread, where the scope is not
/// active (ops there allocate normally), and disposing it there throws. Open one scope per step on the thread
/// that runs the step, and keep the step synchronous.
/// </para>
/// </remarks>
public sealed class GraphScope : IDisposable
{
    [ThreadStatic] private static GraphScope? t_current;
    // Every buffer rented by the open scopes of this thread, innermost last; a scope owns the tail
    // from its marks on. Kept across scopes so a step allocates no list.
    [ThreadStatic] private static List<float[]>? t_floats;
    [ThreadStatic] private static List<double[]>? t_doubles;

    private readonly GraphScope? _outer;
    private readonly int _floatMark, _doubleMark;
    private bool _disposed;

    /// <summary>Opens a scope on the calling thread (dispose it on the same thread).</summary>
    public GraphScope()
    {
        _outer = t_current;
        _floatMark = t_floats?.Count ?? 0;
        _doubleMark = t_doubles?.Count ?? 0;
        t_current = this;
    }

    /// <summary>True when a scope is open on this thread (scopes are thread-bound, see the remarks), so fast ops rent their buffers.</summary>
    public static bool IsActive => t_current is not null;

    /// <summary>Returns every buffer rented inside this scope to the pool and closes the scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("GraphScope disposed out of order or on another thread: dispose scopes innermost first, on the thread that opened them (use `using`).");
        _disposed = true;
        t_current = _outer;
        GiveBack(t_floats, _floatMark);
        GiveBack(t_doubles, _doubleMark);
    }

    private static void GiveBack<T>(List<T[]>? rented, int mark) where T : unmanaged
    {
        if (rented is null) return;
        for (int i = mark; i < rented.Count; i++) BufferPool<T>.Return(rented[i]);
        rented.RemoveRange(mark, rented.Count - mark);
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> whose contents are unspecified (the caller overwrites every
    /// element): rented from the pool when a scope is open, freshly allocated otherwise.
    /// </summary>
    internal static Tensor<T> NewBuffer<T>(int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = ShapeUtil.ElementCount(shape);
        if (t_current is null || length == 0) return Tensor.FromArray(new T[length], shape);
        var array = BufferPool<T>.Rent(length);
        if (typeof(T) == typeof(float)) (t_floats ??= new()).Add((float[])(object)array);
        else (t_doubles ??= new()).Add((double[])(object)array);
        return Tensor.FromArray(array, shape);
    }
}

/// <summary>
/// Per-thread free lists of arrays, one per exact length (a training step asks for the same few
/// lengths every time, so exact buckets hit and waste nothing). Only <see cref="GraphScope"/> uses it.
/// </summary>
internal static class BufferPool<T> where T : unmanaged
{
    // Enough for the intermediates of a deep step; beyond that, arrays are left to the GC.
    private const int MaxPerLength = 64;

    [ThreadStatic] private static Dictionary<int, Stack<T[]>>? t_free;

    public static T[] Rent(int length)
    {
        var free = t_free;
        if (free is not null && free.TryGetValue(length, out var stack) && stack.Count > 0) return stack.Pop();
        return GC.AllocateUninitializedArray<T>(length);
    }

    public static void Return(T[] array)
    {
        var free = t_free ??= new Dictionary<int, Stack<T[]>>();
        if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<T[]>();
        if (stack.Count < MaxPerLength) stack.Push(array);
    }
}
