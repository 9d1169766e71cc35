using System.Globalization;
using System.Numerics;
using System.Text;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>Graphviz export of a recorded graph: boxes for vars (name, shape), ellipses for ops, edges in data-flow direction.</summary>
public static class GraphExport
{
    /// <summary>The DOT text of the graph that produced <paramref name="output"/>. Render with <c>dot -Tsvg</c>.</summary>
    public static string ToDot<T>(Var<T> output, string graphName = "autograd") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(output);
        var ids = new Dictionary<Var<T>, int>(ReferenceEqualityComparer.Instance);
        var sb = new StringBuilder();
        sb.Append("digraph ").Append(Quote(graphName)).AppendLine(" {");
        sb.AppendLine("  rankdir=LR;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=10];");
        var stack = new Stack<Var<T>>();
        stack.Push(output);
        Id(output);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            int id = ids[v];
            string label = (v.Name ?? (v.IsLeaf ? (v.RequiresGrad ? "param" : "const") : "")) + " " + ShapeUtil.Format(v.Shape);
            string style = v.IsLeaf ? (v.RequiresGrad ? ", style=filled, fillcolor=\"#cde8ff\"" : ", style=filled, fillcolor=\"#eeeeee\"") : "";
            sb.Append(CultureInfo.InvariantCulture, $"  v{id} [shape=box, label={Quote(label.Trim())}{style}];\n");
            if (v.Node is { } node)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  op{id} [shape=ellipse, label={Quote(node.Op.Name)}, tooltip={Quote(node.Op.Rule)}];\n");
                sb.Append(CultureInfo.InvariantCulture, $"  op{id} -> v{id};\n");
                for (int i = 0; i < node.Inputs.Count; i++)
                {
                    var input = node.Inputs[i];
                    bool seen = ids.ContainsKey(input);
                    int iid = Id(input);
                    sb.Append(CultureInfo.InvariantCulture, $"  v{iid} -> op{id}{(node.Inputs.Count > 1 ? $" [label=\"{i}\"]" : "")};\n");
                    if (!seen) stack.Push(input);
                }
            }
        }
        sb.AppendLine("}");
        return sb.ToString();

        int Id(Var<T> v)
        {
            if (!ids.TryGetValue(v, out int id)) ids[v] = id = ids.Count;
            return id;
        }
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
