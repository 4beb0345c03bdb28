using Distill.Shared.Onnx;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Models;

/// <summary>
/// Files a model folder names (teacher.json's <c>model_file</c>, the model's external data) must lie inside the folder
/// and be files its version hash covers: no absolute path, no <c>..</c>, no hidden file.
/// </summary>
public static class FolderConfinement
{
    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="folder"/>.</summary>
    /// <param name="what">What names the path, for the rejection message.</param>
    /// <exception cref="IncompatibleModelException">The path leaves the folder or names a hidden file.</exception>
    public static string Resolve(string folder, string relative, string what)
    {
        if (string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative))
        {
            throw new IncompatibleModelException($"{what} '{relative}' is not a path relative to the model folder.");
        }
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var inside = Path.GetRelativePath(root, full);
        var parts = inside.Split(Path.DirectorySeparatorChar);
        if (Path.IsPathRooted(inside) || parts[0] is ".." or ".")
        {
            throw new IncompatibleModelException($"{what} '{relative}' leaves the model folder.");
        }
        if (parts.Any(part => part.StartsWith('.')))
        {
            throw new IncompatibleModelException($"{what} '{relative}' is a hidden file, which the model version does not cover.");
        }
        return full;
    }

    /// <summary>Checks the location of every tensor stored as external data, in every graph and subgraph of the model.</summary>
    /// <exception cref="IncompatibleModelException">A location leaves the folder or names a hidden file.</exception>
    public static void CheckExternalData(ModelProto model, string folder)
    {
        if (model.Graph is null)
        {
            return;
        }
        foreach (var tensor in Tensors(model.Graph))
        {
            foreach (var entry in tensor.ExternalData.Where(e => e.Key == "location"))
            {
                Resolve(folder, entry.Value, $"The external data of tensor '{tensor.Name}'");
            }
        }
    }

    private static IEnumerable<TensorProto> Tensors(GraphProto graph)
    {
        foreach (var tensor in graph.Initializer)
        {
            yield return tensor;
        }
        foreach (var sparse in graph.SparseInitializer)
        {
            foreach (var tensor in Parts(sparse))
            {
                yield return tensor;
            }
        }
        foreach (var attribute in graph.Node.SelectMany(n => n.Attribute))
        {
            var tensors = new List<TensorProto>(attribute.Tensors);
            if (attribute.T is not null)
            {
                tensors.Add(attribute.T);
            }
            tensors.AddRange(attribute.SparseTensors.Append(attribute.SparseTensor).Where(s => s is not null).SelectMany(Parts));
            foreach (var tensor in tensors)
            {
                yield return tensor;
            }
            foreach (var subgraph in attribute.Graphs.Append(attribute.G).Where(g => g is not null))
            {
                foreach (var tensor in Tensors(subgraph))
                {
                    yield return tensor;
                }
            }
        }
    }

    private static IEnumerable<TensorProto> Parts(SparseTensorProto sparse) =>
        new[] { sparse.Values, sparse.Indices }.Where(t => t is not null);
}
