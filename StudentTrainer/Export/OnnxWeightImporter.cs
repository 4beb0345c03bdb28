using System.Buffers.Binary;
using System.Text.Json;
using Distill.Shared.Onnx;
using Distill.StudentTrainer.Model;
using Google.Protobuf;
using static TorchSharp.torch;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Reads a <see cref="Gpt"/> back from a model folder written by <see cref="OnnxExporter"/> (plain or with
/// past_key_values): the configuration from <c>config.json</c>, every parameter from the <c>model.onnx</c>
/// initializer of the same name. Linear weights are stored transposed, (in, out), and are transposed back; the
/// embedding tables and the vectors are stored as they are. Values are copied bit for bit.
/// </summary>
public static class OnnxWeightImporter
{
    private static readonly string[] EmbeddingTables = ["wte.weight", "wpe.weight"];
    /// <summary>The exporter's graph constants (attention scale, shapes, …), which are not parameters.</summary>
    private const string ConstantPrefix = "const.";

    /// <summary>The model in <paramref name="modelFolder"/>, in eval mode on the CPU.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks config.json or model.onnx.</exception>
    /// <exception cref="InvalidDataException">The folder is not an export of this project's exporter.</exception>
    public static Gpt Import(string modelFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolder);
        if (!Directory.Exists(modelFolder)) throw new DirectoryNotFoundException($"model folder '{modelFolder}' does not exist");
        GptConfig config = ReadConfig(modelFolder);
        Dictionary<string, TensorProto> initializers = ReadInitializers(modelFolder);

        var model = new Gpt(config);
        try
        {
            var parameterNames = new HashSet<string>(StringComparer.Ordinal);
            using (no_grad())
            {
                foreach ((string name, var parameter) in model.named_parameters())
                {
                    CopyInto(parameter, name, initializers, modelFolder);
                    parameterNames.Add(name);
                }
            }
            string[] unused = initializers.Keys.Where(n => !n.StartsWith(ConstantPrefix, StringComparison.Ordinal) && !parameterNames.Contains(n)).ToArray();
            if (unused.Length > 0)
                throw new InvalidDataException(
                    $"{OnnxExporter.ModelFile} in '{modelFolder}' has initializers that are no parameters of the model its {OnnxExporter.ConfigFile} describes: {string.Join(", ", unused.Take(5))}");
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The <see cref="GptConfig"/> described by the folder's config.json.</summary>
    public static GptConfig ReadConfig(string modelFolder)
    {
        string path = Path.Combine(modelFolder, OnnxExporter.ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"no {OnnxExporter.ConfigFile} in '{modelFolder}'", path);
        HuggingFaceGpt2Config exported;
        try
        {
            exported = JsonSerializer.Deserialize<HuggingFaceGpt2Config>(File.ReadAllBytes(path))
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path} is not a config.json written by this project's exporter (a GPT-2 config with a 'distill' object): {e.Message}", e);
        }
        if (exported.Distill.ExporterVersion != OnnxExporter.ExporterVersion)
            throw new InvalidDataException(
                $"{path} was written by exporter version {exported.Distill.ExporterVersion}; this importer reads version {OnnxExporter.ExporterVersion}");
        if (exported.InnerSize != 4 * exported.EmbeddingSize || exported.ActivationFunction != "gelu" || !exported.TieWordEmbeddings)
            throw new InvalidDataException(
                $"{path} describes a model this project cannot build (n_inner {exported.InnerSize} ≠ 4·n_embd, activation '{exported.ActivationFunction}' or untied head)");

        GptConfig config = exported.ToGptConfig();
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }

    private static Dictionary<string, TensorProto> ReadInitializers(string modelFolder)
    {
        string path = Path.Combine(modelFolder, OnnxExporter.ModelFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"no {OnnxExporter.ModelFile} in '{modelFolder}'", path);
        ModelProto model;
        try
        {
            using FileStream stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path} is not an ONNX model: {e.Message}", e);
        }
        if (model.Graph is null) throw new InvalidDataException($"{path} has no graph");
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto tensor in model.Graph.Initializer) initializers.TryAdd(tensor.Name, tensor);
        return initializers;
    }

    private static void CopyInto(Tensor parameter, string name, Dictionary<string, TensorProto> initializers, string modelFolder)
    {
        if (!initializers.TryGetValue(name, out TensorProto? stored))
            throw new InvalidDataException(
                $"{OnnxExporter.ModelFile} in '{modelFolder}' has no initializer '{name}': not a model exported by this project for the configuration in {OnnxExporter.ConfigFile}");
        bool transposed = parameter.dim() == 2 && !EmbeddingTables.Contains(name);
        long[] expected = transposed ? [parameter.shape[1], parameter.shape[0]] : parameter.shape;
        if (!stored.Dims.SequenceEqual(expected))
            throw new InvalidDataException(
                $"initializer '{name}' has shape [{string.Join(", ", stored.Dims)}], expected [{string.Join(", ", expected)}]{(transposed ? " (a linear weight stored as (in, out))" : "")}");

        using var scope = NewDisposeScope();
        Tensor values = tensor(Floats(stored), expected);
        parameter.copy_(transposed ? values.t() : values);
    }

    /// <summary>Row-major float32 values from raw little-endian data or the float_data field.</summary>
    private static float[] Floats(TensorProto stored)
    {
        if (stored.DataLocation == TensorProto.Types.DataLocation.External || stored.ExternalData.Count > 0)
            throw new InvalidDataException($"initializer '{stored.Name}' keeps its values in an external file, which this importer does not read");
        if (stored.DataType != (int)DataType.Float)
            throw new InvalidDataException($"initializer '{stored.Name}' has ONNX data type {stored.DataType}, expected float32 ({(int)DataType.Float})");
        long count = stored.Dims.Aggregate(1L, (product, d) => product * d);
        if (stored.RawData.Length > 0)
        {
            ReadOnlySpan<byte> raw = stored.RawData.Span;
            if (raw.Length != count * sizeof(float))
                throw new InvalidDataException($"initializer '{stored.Name}' holds {raw.Length} bytes, expected {count * sizeof(float)}");
            var values = new float[count];
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * sizeof(float))..]);
            return values;
        }
        if (stored.FloatData.Count != count)
            throw new InvalidDataException($"initializer '{stored.Name}' holds {stored.FloatData.Count} values, expected {count}");
        return stored.FloatData.ToArray();
    }
}
