using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A student cut from its teacher: the same family and width with a subset of the teacher's blocks, in order, and the
/// teacher's embeddings, final norm and head (the initialisation of DistilBERT, which keeps every other layer, and of
/// NVIDIA's Minitron depth pruning). Block i of the student is block <c>layers[i]</c> of the teacher, weights copied.
/// </summary>
public static partial class LayerSubset
{
    /// <summary>A block's parameters: GPT-2's <c>transformer.h.{i}.…</c>, the Llama family's <c>model.layers.{i}.…</c>.</summary>
    [GeneratedRegex(@"^(?<prefix>.*?\.(?:h|layers)\.)(?<layer>\d+)(?<rest>\..+)$")]
    private static partial Regex BlockParameter();

    /// <summary>The configuration of <paramref name="teacher"/> with <paramref name="layers"/> blocks.</summary>
    public static ModelConfig WithLayers(ModelConfig teacher, int layers) => teacher switch
    {
        Gpt2Config gpt2 => gpt2 with { LayerCount = layers },
        LlamaConfig llama => llama with { HiddenLayers = layers },
        _ => throw new NotSupportedException($"model_type '{teacher.ModelType}' cannot be cut"),
    };

    /// <summary>The student made of <paramref name="layers"/> (block indices of the teacher, strictly increasing).</summary>
    /// <exception cref="ArgumentException">No layers, an index outside the teacher, or indices out of order or repeated.</exception>
    public static CausalLm Cut(CausalLm teacher, IReadOnlyList<int> layers)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("--layers names no layer");
        int count = teacher.Config.Layers;
        foreach (int layer in layers)
            if (layer < 0 || layer >= count)
                throw new ArgumentException($"layer {layer} is not a layer of the teacher, which has layers 0 to {count - 1}");
        for (int i = 1; i < layers.Count; i++)
            if (layers[i] <= layers[i - 1])
                throw new ArgumentException($"--layers must be increasing without repeats, got {string.Join(",", layers)}");

        CausalLm student = WithLayers(teacher.Config, layers.Count).CreateModel();
        var source = teacher.state_dict();
        using var noGrad = no_grad();
        foreach ((string name, Tensor target) in student.state_dict())
            target.copy_(source[TeacherName(name, layers)]);
        student.eval();
        return student;
    }

    private static string TeacherName(string studentName, IReadOnlyList<int> layers)
    {
        Match block = BlockParameter().Match(studentName);
        return block.Success
            ? $"{block.Groups["prefix"].Value}{layers[int.Parse(block.Groups["layer"].Value, System.Globalization.CultureInfo.InvariantCulture)]}{block.Groups["rest"].Value}"
            : studentName;
    }
}
