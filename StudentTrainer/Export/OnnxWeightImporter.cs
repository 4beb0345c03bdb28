using System.Buffers.Binary;
using Distill.Shared.Onnx;
using Distill.StudentTrainer.Model;
using Google.Protobuf;
using static TorchSharp.torch;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Reads a gpt2-family model back from an ONNX model folder written by this project's exporter (plain or with
/// past_key_values; any exporter version): the configuration from <c>config.json</c>, every parameter from the
/// <c>model.onnx</c> initializer of its name (named as the model's checkpoints may name it, see
/// <see cref="CausalLm.CheckpointName"/>). Both exporter versions store Conv1D weights (in, out), as the model holds
/// them. Values are copied bit for bit. Folders that hold <c>model.safetensors</c> need no import: they load directly.
/// </summary>
public static class OnnxWeightImporter
{
    /// <summary>Marks the exporter's graph constants (attention scale, shapes, the mask's, …), which are not parameters.</summary>
    private const string ConstantMark = "const.";

    /// <summary>The model in <paramref name="modelFolder"/>, in eval mode on the CPU.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks config.json or model.onnx.</exception>
    /// <exception cref="InvalidDataException">The folder is not an export of this project's exporter.</exception>
    public static CausalLm Import(string modelFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolder);
        if (!Directory.Exists(modelFolder)) throw new DirectoryNotFoundException($"model folder '{modelFolder}' does not exist");
        ModelConfig config = ReadConfig(modelFolder);
        Dictionary<string, TensorProto> initializers = ReadInitializers(modelFolder);

        CausalLm model = config.CreateModel();
        try
        {
            var byParameter = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
            foreach ((string name, TensorProto stored) in initializers)
                if (!name.Contains(ConstantMark, StringComparison.Ordinal) && model.CheckpointName(name) is string parameter)
                    byParameter.TryAdd(parameter, stored);
            var parameterNames = new HashSet<string>(StringComparer.Ordinal);
            using (no_grad())
            {
                foreach ((string name, var parameter) in model.named_parameters())
                {
                    CopyInto(parameter, name, byParameter, modelFolder);
                    parameterNames.Add(name);
                }
            }
            string[] unused = byParameter.Keys.Where(n => !parameterNames.Contains(n)).ToArray();
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

    /// <summary>The gpt2-family configuration in the folder's config.json.</summary>
    /// <exception cref="InvalidDataException">The file describes another family or is not a configuration.</exception>
    public static Gpt2Config ReadConfig(string modelFolder)
    {
        string path = Path.Combine(modelFolder, OnnxExporter.ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"no {OnnxExporter.ConfigFile} in '{modelFolder}'", path);
        return ModelConfig.Read(path) as Gpt2Config
            ?? throw new InvalidDataException($"{path} describes no gpt2 model; only gpt2-family ONNX exports are imported (other folders load from their safetensors)");
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
                $"{OnnxExporter.ModelFile} in '{modelFolder}' has no initializer for '{name}': not a model exported by this project for the configuration in {OnnxExporter.ConfigFile}");
        if (!stored.Dims.SequenceEqual(parameter.shape))
            throw new InvalidDataException(
                $"initializer '{stored.Name}' has shape [{string.Join(", ", stored.Dims)}], expected [{string.Join(", ", parameter.shape)}]");
        using var scope = NewDisposeScope();
        parameter.copy_(tensor(Floats(stored), parameter.shape));
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
