using System.Numerics;
using System.Runtime.InteropServices;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>Sees each node of a backward pass as it is processed (used by <c>explain</c> and tooling).</summary>
public interface IBackwardObserver<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Called after the rule of <paramref name="node"/> ran: the adjoint that arrived and the gradients sent to each input (already summed to the input shapes).</summary>
    void OnNode(Node<T> node, Var<T> gradOutput, IReadOnlyList<Var<T>?> inputGrads);
}

/// <summary>
/// The reverse pass. In order:
/// 1. walk the graph from the output and list its nodes in topological order (each once);
/// 2. visit them output-first: the gradient accumulated at a node's output goes through the
///    node's rule, each returned gradient is summed back to its input's shape (undoing
///    broadcasting — rules never do this) and added to what that input has received so far;
/// 3. leaves add what they received into <see cref="Var{T}.Grad"/> (or it is returned, for the functional API).
/// Without createGraph the rules run with recording off, so gradients are plain values; the hot
/// rules (matmul, relu, cross-entropy, and the engine's own bias-gradient row sum) then take a fused
/// tensor path instead of composing var ops, and write into <see cref="GraphScope"/> buffers when one is open.
/// Thread safety: everything a pass keeps while it runs (which vars it visited, the gradient arriving
/// at each) lives in the pass, never on a var or node, so passes may run concurrently on different threads
/// over graphs that share vars — typically two forward passes through the same parameters. A leaf's Grad is
/// updated under that leaf's lock, so concurrent passes sum their gradients into it. Two passes must not both
/// go through the same recorded node unless both retain the graph (freeing is not synchronised, and a freed
/// node fails the later pass, as in PyTorch).
/// </summary>
internal static class Engine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // The state of one backward pass: every var it visits gets a slot, holding the gradient that has
    // arrived at that var so far, and every node the slots of its inputs (so sending a gradient along an
    // edge is an array write, not a lookup). One per thread is kept for reuse (cleared after each pass).
    private sealed class Pass
    {
        private readonly Dictionary<Var<T>, int> _slots = new(ReferenceEqualityComparer.Instance);
        public readonly List<Var<T>?> Pending = new();
        // Order[k]: a node output, inputs before the vars computed from them; Edges[EdgeStart..] its inputs' slots (−1: no gradient).
        public readonly List<(Var<T> Var, int Slot, int EdgeStart)> Order = new();
        public readonly List<int> Edges = new();
        public readonly List<(Var<T> Var, int Slot)> Leaves = new();
        public readonly Stack<(Var<T> Var, int Slot, int EdgeStart, int Next)> Stack = new();

        // The slot of v, and whether this call gave it (first visit in this pass).
        public int Enter(Var<T> v, out bool first)
        {
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, v, out bool exists);
            first = !exists;
            if (exists) return slot;
            slot = Pending.Count;
            Pending.Add(null);
            return slot;
        }

        public int ReserveEdges(int count)
        {
            int start = Edges.Count;
            for (int i = 0; i < count; i++) Edges.Add(-1);
            return start;
        }

        public void Clear()
        {
            _slots.Clear(); Pending.Clear(); Order.Clear(); Edges.Clear(); Leaves.Clear(); Stack.Clear();
        }
    }

    [ThreadStatic] private static Pass? _spare;

    /// <summary>
    /// Runs a backward pass from <paramref name="root"/>. With <paramref name="wanted"/> null, leaves
    /// accumulate into their Grad; otherwise the gradients of exactly those vars are returned
    /// (null where the output does not depend on one) and no Grad is touched.
    /// </summary>
    public static Var<T>?[]? Run(Var<T> root, Tensor<T>? seed, bool retainGraph, bool createGraph,
        IReadOnlyList<Var<T>>? wanted, IBackwardObserver<T>? observer)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward from a value that does not require a gradient ({root}). Create the inputs with Var.Parameter(...) or requiresGrad: true, and do not compute the output inside GradMode.NoGrad().");
        var seedVar = MakeSeed(root, seed);

        // Reentrancy (a rule calling backward, e.g. a user op) gets a fresh pass.
        var pass = _spare ?? new Pass(); _spare = null;
        var result = wanted is null ? null : new Var<T>?[wanted.Count];
        try
        {
            Sort(root, pass);
            pass.Pending[0] = seedVar;   // the root is entered first
            using (GradMode.Set(createGraph))
            {
                var order = pass.Order;
                for (int k = order.Count - 1; k >= 0; k--)
                {
                    var (v, slot, edges) = order[k];
                    var g = pass.Pending[slot];
                    if (g is null) continue;
                    pass.Pending[slot] = null;   // let it be collected as soon as the rule has used it
                    if (result is not null) Capture(v, g, wanted!, result);
                    Propagate(v.Node!, g, pass, edges, observer);
                    if (!retainGraph) v.Node!.Free();
                }
                foreach (var (leaf, slot) in pass.Leaves)
                {
                    var g = pass.Pending[slot];
                    if (g is null) continue;
                    if (result is not null) Capture(leaf, g, wanted!, result);
                    else leaf.AccumulateGrad(g, createGraph);
                }
            }
        }
        finally
        {
            pass.Clear();
            _spare = pass;
        }
        return result;
    }

    private static Var<T> MakeSeed(Var<T> root, Tensor<T>? seed)
    {
        if (seed is null)
        {
            if (root.Value.Length != 1)
                throw new InvalidOperationException($"Backward from a non-scalar output of shape {ShapeUtil.Format(root.Shape)} needs a seed gradient: pass Backward(seed) with a tensor of shape {ShapeUtil.Format(root.Shape)} (the gradient of your loss with respect to this output), or reduce the output to a scalar first, e.g. output.Sum().Backward().");
            return Var<T>.Constant(Tensor.Ones<T>(root.Value.ShapeArray));
        }
        if (!ShapeUtil.SameShape(seed.Shape, root.Shape))
            throw new ArgumentException($"The seed gradient has shape {ShapeUtil.Format(seed.Shape)} but the output has shape {ShapeUtil.Format(root.Shape)}; pass a seed of the output's shape.", nameof(seed));
        return Var<T>.Constant(seed);
    }

    // Iterative depth-first post-order, so deep graphs (long RNN unrolls) cannot overflow the stack.
    private static void Sort(Var<T> root, Pass pass)
    {
        if (root.Node is null) { pass.Leaves.Add((root, pass.Enter(root, out _))); return; }
        CheckNotFreed(root);
        var stack = pass.Stack;
        stack.Push((root, pass.Enter(root, out _), pass.ReserveEdges(root.Node.InputCount), 0));
        while (stack.Count > 0)
        {
            var (v, vSlot, edges, next) = stack.Pop();
            var node = v.Node!;
            if (next < node.InputCount)
            {
                stack.Push((v, vSlot, edges, next + 1));
                var input = node.Input(next);
                if (!input.RequiresGrad) continue;
                if (input.Node is not null) CheckNotFreed(input);
                int slot = pass.Edges[edges + next] = pass.Enter(input, out bool first);
                if (!first) continue;
                if (input.Node is null) pass.Leaves.Add((input, slot));
                else stack.Push((input, slot, pass.ReserveEdges(input.Node.InputCount), 0));
            }
            else pass.Order.Add((v, vSlot, edges));
        }
    }

    private static void CheckNotFreed(Var<T> v)
    {
        var node = v.Node!;
        if (node.IsFreed)
            throw new InvalidOperationException($"Backward through op '{node.Op.Name}' a second time: its graph was freed by the previous backward pass. Pass retainGraph: true to the first Backward(...) call if you need to backpropagate through the same graph again, or recompute the forward pass.");
    }

    private static void Propagate(Node<T> node, Var<T> g, Pass pass, int edges, IBackwardObserver<T>? observer)
    {
        var rule = node.Rule
            ?? throw new NotSupportedException($"Op '{node.Op.Name}' has no derivative rule: it cannot be differentiated. Detach its inputs, or implement it as a Function<T> with a Backward method.");
        Var<T>?[] grads;
        bool wasInRule = Anomaly.EnterRule();
        try
        {
            grads = rule(node, g);
            if (grads.Length != node.InputCount)
                throw new InvalidOperationException($"The derivative rule of op '{node.Op.Name}' returned {grads.Length} gradients for {node.InputCount} inputs; return exactly one (or null) per input.");
            for (int i = 0; i < grads.Length; i++)
            {
                var input = node.Input(i);
                var gi = grads[i];
                if (gi is null || !input.RequiresGrad) { grads[i] = null; continue; }
                if (!ShapeUtil.SameShape(gi.Shape, input.Shape)) gi = grads[i] = Unbroadcast(node, i, gi, input);
                if (Anomaly.IsEnabled) Anomaly.CheckBackward(node.Op.Name, i, gi.Value);
                int slot = pass.Edges[edges + i];
                var pending = pass.Pending[slot];
                pass.Pending[slot] = pending is null ? gi : pending + gi;
            }
        }
        finally { Anomaly.ExitRule(wasInRule); }
        observer?.OnNode(node, g, grads);
    }

    // The engine's half of broadcasting: sum a gradient of the broadcast shape back to the input's shape.
    private static Var<T> Unbroadcast(Node<T> node, int i, Var<T> g, Var<T> input)
    {
        int[] target = input.Value.ShapeArray;
        if (node.Op.Family == Function<T>.UserFamily)
            throw new InvalidOperationException(
                $"Function '{node.Op.Name}'.Backward returned a gradient of shape {ShapeUtil.Format(g.Shape)} for input {i}, whose shape is {ShapeUtil.Format(target)}. "
                + $"Return exactly one gradient per input, each with that input's shape (here {ShapeUtil.Format(target)}); if your gradient is in a broadcast shape, reduce it with SumTo({ShapeUtil.Format(target)}).");
        bool ok;
        try { ok = ShapeUtil.SameShape(ShapeUtil.Broadcast(g.Shape, target), g.Shape); }
        catch (ArgumentException) { ok = false; }
        if (!ok)
            throw new InvalidOperationException(
                $"The derivative rule of op '{node.Op.Name}' returned a gradient of shape {ShapeUtil.Format(g.Shape)} for input {i} of shape {ShapeUtil.Format(target)}. "
                + $"A backward must return, for each input, a gradient of that input's shape (or of a shape it broadcasts to); fix the Backward of '{node.Op.Name}' to return shape {ShapeUtil.Format(target)}.");
        if (GradMode.IsEnabled) return g.SumTo(target);
        if (g.Rank == 2 && g.Shape[0] > 0 && target.Length == 1 && target[0] == g.Shape[1] && g.Value.IsContiguous) return Var<T>.Plain(SumRows(g.Value));
        // Plain backward: one reduction straight into a (pooled) buffer, no recorded ops.
        int lead = g.Rank - target.Length;
        int count = 0;
        Span<int> axes = stackalloc int[g.Rank];
        for (int d = 0; d < g.Rank; d++)
            if (d < lead || (target[d - lead] == 1 && g.Shape[d] != 1)) axes[count++] = d;
        var kept = g.Value.ShapeArray;
        for (int c = 0; c < count; c++) kept[axes[c]] = 1;
        var summed = Tensor.Sum(g.Value, axes[..count].ToArray(), keepDim: true, GraphScope.NewBuffer<T>(kept));
        return Var<T>.Plain(summed.Reshape(target));
    }

    // The bias gradient of a linear layer: the rows of g [m, n] summed into [n].
    private static Tensor<T> SumRows(Tensor<T> g)
    {
        int m = g.Shape[0], n = g.Shape[1];
        var dst = GraphScope.NewBuffer<T>([n]);
        ReadOnlySpan<T> gs = g.AsSpan();
        var ds = dst.AsSpan();
        gs[..n].CopyTo(ds);
        for (int i = 1; i < m; i++) System.Numerics.Tensors.TensorPrimitives.Add(ds, gs.Slice(i * n, n), ds);
        return dst;
    }

    private static void Capture(Var<T> v, Var<T> g, IReadOnlyList<Var<T>> wanted, Var<T>?[] result)
    {
        for (int i = 0; i < wanted.Count; i++)
            if (ReferenceEquals(wanted[i], v)) result[i] = result[i] is null ? g : result[i]! + g;
    }
}
