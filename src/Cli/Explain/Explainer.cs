using System.Globalization;
using System.Text;
using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Cli.Explain;

/// <summary>
/// Evaluates an expression with autodiff in float64 and narrates it for learners: the forward
/// pass node by node, the backward pass node by node (adjoint arriving, rule applied, what each
/// input receives), then the gradient with respect to every named input.
/// </summary>
public sealed class Explainer
{
    private static readonly string[] Unary = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "gelu", "softplus", "sin", "cos", "erf",
                                              "sum", "mean", "max", "min", "logsumexp", "softmax", "transpose"];

    private readonly string _source;
    private readonly IReadOnlyDictionary<string, Var<double>> _inputs;

    private Explainer(string source, IReadOnlyDictionary<string, Var<double>> inputs)
    {
        _source = source;
        _inputs = inputs;
    }

    /// <summary>The result of <see cref="Run"/>: the output, the gradients by input name, and the narration.</summary>
    public sealed record Result(Var<double> Output, Var<double> Loss, IReadOnlyDictionary<string, Tensor<double>> Gradients, string Narration);

    /// <summary>
    /// Parses and evaluates <paramref name="source"/> with the named <paramref name="inputs"/> (each a
    /// number or nested-bracket tensor, as text). Throws <see cref="CliException"/> for syntax errors,
    /// unknown names and shape mismatches.
    /// </summary>
    public static Result Run(string source, IReadOnlyList<KeyValuePair<string, string>> inputs)
    {
        var vars = new Dictionary<string, Var<double>>(StringComparer.Ordinal);
        foreach (var (name, text) in inputs)
        {
            if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
                throw new CliException($"--set {name}=…: '{name}' is not a valid name (letters, digits, _; not starting with a digit)");
            if (Unary.Contains(name)) throw new CliException($"--set {name}=…: '{name}' is a function name; pick another name");
            if (vars.ContainsKey(name)) throw new CliException($"--set {name} given twice");
            Literal lit;
            try { lit = ExpressionParser.ParseValue(text); }
            catch (ExpressionSyntaxException e) { throw new CliException($"in the value of --set {name}: {e.Message}"); }
            vars[name] = Var<double>.Parameter(Tensor.FromArray(lit.Values, lit.Shape), name);
        }
        Expr expr;
        try { expr = ExpressionParser.Parse(source); }
        catch (ExpressionSyntaxException e) { throw new CliException(e.Message); }
        return new Explainer(source, vars).Explain(expr);
    }

    private Result Explain(Expr expr)
    {
        var output = Eval(expr);
        bool summed = output.Value.Length != 1;
        var loss = summed && output.RequiresGrad ? output.Sum() : output;
        var sb = new StringBuilder();
        var ids = Number(loss);

        sb.AppendLine("forward pass (each node: op, shape, value)");
        foreach (var (v, id) in ids.OrderBy(p => p.Value))
            sb.AppendLine(CultureInfo.InvariantCulture, $"  %{id,-3} {Describe(v, ids),-28} {ShapeUtil.Format(v.Shape),-10} {Format(v.Value)}");
        if (ids.Count == 0) sb.AppendLine(CultureInfo.InvariantCulture, $"  (no named inputs: nothing to differentiate) value {Format(output.Value)}");
        if (summed && output.RequiresGrad) sb.AppendLine("  (the output is not a scalar, so it is summed: gradients are of sum(output))");

        var grads = new Dictionary<string, Tensor<double>>(StringComparer.Ordinal);
        var names = _inputs.Keys.ToList();
        var leaves = names.Select(n => _inputs[n]).ToList();
        if (loss.RequiresGrad)
        {
            sb.AppendLine();
            sb.AppendLine("backward pass (adjoint g = d output / d node, arriving at each node; its rule sends a gradient to each input)");
            var observer = new Narrator(sb, ids);
            var result = Autodiff.Gradients(loss, leaves, observer: observer);
            for (int i = 0; i < names.Count; i++) grads[names[i]] = result[i]?.Value ?? Tensor.Zeros<double>(leaves[i].Value.ShapeArray);
        }
        else foreach (var n in names) grads[n] = Tensor.Zeros<double>(_inputs[n].Value.ShapeArray);

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"value {Format(output.Value)}");
        sb.AppendLine("gradients" + (summed ? " (of sum(output))" : ""));
        foreach (var n in names) sb.AppendLine(CultureInfo.InvariantCulture, $"  d/d{n} = {Format(grads[n])}");
        return new Result(output, loss, grads, sb.ToString());
    }

    // Post-order numbering of the recorded graph: inputs before the nodes that use them.
    private static Dictionary<Var<double>, int> Number(Var<double> root)
    {
        var ids = new Dictionary<Var<double>, int>(ReferenceEqualityComparer.Instance);
        if (!root.RequiresGrad) return ids;
        var stack = new Stack<(Var<double> V, int Next)>();
        var onStack = new HashSet<Var<double>>(ReferenceEqualityComparer.Instance) { root };
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (v, next) = stack.Pop();
            if (v.Node is { } node && next < node.Inputs.Count)
            {
                stack.Push((v, next + 1));
                var input = node.Inputs[next];
                if (!ids.ContainsKey(input) && onStack.Add(input)) stack.Push((input, 0));
                continue;
            }
            ids[v] = ids.Count;
        }
        return ids;
    }

    private static string Describe(Var<double> v, Dictionary<Var<double>, int> ids)
    {
        if (v.Node is null) return v.Name is not null ? $"input {v.Name}" : "constant";
        return $"{v.Node.Op.Name}({string.Join(", ", v.Node.Inputs.Select(i => "%" + ids[i]))})";
    }

    private sealed class Narrator(StringBuilder sb, Dictionary<Var<double>, int> ids) : IBackwardObserver<double>
    {
        public void OnNode(Node<double> node, Var<double> gradOutput, IReadOnlyList<Var<double>?> inputGrads)
        {
            int id = ids[node.Output];
            sb.AppendLine(CultureInfo.InvariantCulture, $"  %{id,-3} {node.Op.Name,-12} g = {Format(gradOutput.Value)}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"       rule: {node.Op.Rule}");
            for (int i = 0; i < inputGrads.Count; i++)
                if (inputGrads[i] is { } gi)
                    sb.AppendLine(CultureInfo.InvariantCulture, $"       -> %{ids[node.Inputs[i]]} receives {Format(gi.Value)}");
        }
    }

    // ------------------------------------------------------------------ evaluation

    private Var<double> Eval(Expr e)
    {
        try
        {
            return e switch
            {
                Literal l => Var<double>.Constant(Tensor.FromArray((double[])l.Values.Clone(), l.Shape)),
                Name n => _inputs.TryGetValue(n.Id, out var v) ? v
                    : throw new CliException($"unknown name '{n.Id}' at column {n.Column}: define it with --set {n.Id}=VALUE" + Known()),
                Negate neg => -Eval(neg.Operand),
                Binary b => Apply(b),
                Call c => Call(c),
                _ => throw new InvalidOperationException("unknown expression node"),
            };
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"{What(e)} at column {e.Column} failed: {ex.Message}\n  {_source}\n  {new string(' ', e.Column - 1)}^");
        }
    }

    private string Known() => _inputs.Count == 0 ? "" : $" (defined: {string.Join(", ", _inputs.Keys)})";

    private static string What(Expr e) => e switch
    {
        Binary b => b.Op == '@' ? "matmul '@'" : $"'{b.Op}'",
        Call c => $"{c.Function}(…)",
        _ => "this expression",
    };

    private Var<double> Apply(Binary b)
    {
        var left = Eval(b.Left);
        if (b.Op == '^' && b.Right is Literal { Shape.Length: 0 } exponent) return left.Pow(exponent.Values[0]);
        var right = Eval(b.Right);
        return b.Op switch
        {
            '+' => left + right,
            '-' => left - right,
            '*' => left * right,
            '/' => left / right,
            '^' => Var<double>.Pow(left, right),
            '@' => MatMul(left, right),
            _ => throw new InvalidOperationException($"operator {b.Op}"),
        };
    }

    private static Var<double> MatMul(Var<double> a, Var<double> b)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"'@' needs tensors of rank ≥ 1 on both sides; got shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} (use '*' for scalars).");
        return Var<double>.MatMul(a, b);
    }

    private Var<double> Call(Call c)
    {
        if (!Unary.Contains(c.Function))
            throw new CliException($"unknown function '{c.Function}' at column {c.Column}; known: {string.Join(", ", Unary)}");
        if ((c.Function is "max" or "min") && c.Args.Length == 2)
            return c.Function == "max" ? Var<double>.Maximum(Eval(c.Args[0]), Eval(c.Args[1])) : Var<double>.Minimum(Eval(c.Args[0]), Eval(c.Args[1]));
        if (c.Args.Length != 1)
            throw new CliException($"{c.Function}(…) at column {c.Column} takes one argument{(c.Function is "max" or "min" ? " (or two, elementwise)" : "")}, got {c.Args.Length}");
        var x = Eval(c.Args[0]);
        return c.Function switch
        {
            "exp" => x.Exp(), "log" => x.Log(), "sqrt" => x.Sqrt(), "abs" => x.Abs(), "tanh" => x.Tanh(),
            "sigmoid" => x.Sigmoid(), "relu" => x.Relu(), "gelu" => x.Gelu(), "softplus" => x.Softplus(),
            "sin" => x.Sin(), "cos" => x.Cos(), "erf" => x.Erf(),
            "sum" => x.Sum(), "mean" => x.Mean(), "max" => x.Max(), "min" => x.Min(), "logsumexp" => x.LogSumExp(),
            "softmax" => x.Rank == 0 ? x.Reshape(1).Softmax().Reshape() : x.Softmax(),
            "transpose" => x.Rank < 2 ? x : x.Mt,
            _ => throw new InvalidOperationException(c.Function),
        };
    }

    // ------------------------------------------------------------------ formatting

    /// <summary>Nested-bracket text of a tensor, numbers in round-trip-short form.</summary>
    public static string Format(Tensor<double> t) => Nested(t, n => n.ToString("G6", CultureInfo.InvariantCulture));

    /// <summary>Nested JSON arrays (NaN and ±Inf as null, which JSON cannot express).</summary>
    public static string Json(Tensor<double> t) => Nested(t, n => double.IsFinite(n) ? n.ToString("R", CultureInfo.InvariantCulture) : "null");

    private static string Nested(Tensor<double> t, Func<double, string> number)
    {
        var data = t.ToArray();
        var sb = new StringBuilder();
        int k = 0;
        Write(0);
        return sb.ToString();

        void Write(int axis)
        {
            if (axis == t.Rank) { sb.Append(number(data[k++])); return; }
            sb.Append('[');
            for (int i = 0; i < t.Shape[axis]; i++)
            {
                if (i > 0) sb.Append(", ");
                Write(axis + 1);
            }
            sb.Append(']');
        }
    }
}
