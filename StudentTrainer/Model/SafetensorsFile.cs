using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>One tensor's entry in a safetensors header: its dtype name (<c>F32</c>, <c>BF16</c>, …) and shape.</summary>
public sealed record SafetensorsEntry(string Dtype, long[] Shape);

/// <summary>
/// A safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
/// range, then the raw little-endian data. Tensors are read by TorchSharp.PyBridge; they are written here, because
/// PyBridge 1.4.4 opens the file without truncating it (a shorter file written over a longer one keeps the old tail,
/// which safetensors readers refuse), writes no <c>__metadata__</c> and does not pad the header to 8 bytes.
/// </summary>
public static class SafetensorsFile
{
    private const string Metadata = "__metadata__";

    /// <summary>The dtypes model weights may be stored in, by their safetensors names.</summary>
    public static IReadOnlyDictionary<string, ScalarType> WeightDtypes { get; } = new Dictionary<string, ScalarType>
    {
        ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
    };

    private static readonly Dictionary<ScalarType, string> FileDtypes = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    /// <summary>The entries of the header of <paramref name="path"/>, by tensor name (the metadata entry left out).</summary>
    /// <exception cref="InvalidDataException">The file is not a safetensors file.</exception>
    public static IReadOnlyDictionary<string, SafetensorsEntry> ReadHeader(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (stream.Length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"{path} is not a safetensors file (shorter than its header length)");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length > (ulong)(stream.Length - 8) || length > int.MaxValue)
            throw new InvalidDataException($"{path} is not a safetensors file (header length {length} exceeds the file)");
        byte[] json = new byte[length];
        stream.ReadExactly(json);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: the safetensors header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the safetensors header is not valid JSON: {e.Message}", e);
        }
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach ((string name, JsonNode? node) in header)
        {
            if (name == Metadata) continue;
            string? dtype = node?["dtype"]?.GetValue<string>();
            long[]? shape = node?["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (dtype is null || shape is null)
                throw new InvalidDataException($"{path}: the header entry of '{name}' has no dtype or shape");
            entries[name] = new SafetensorsEntry(dtype, shape);
        }
        return entries;
    }

    /// <summary>The tensors <paramref name="names"/> of <paramref name="path"/>, in the dtype they are stored in.</summary>
    public static Dictionary<string, Tensor> Read(string path, IReadOnlyCollection<string> names) =>
        names.Count == 0 ? [] : TorchSharp.PyBridge.Safetensors.LoadStateDict(path, keysToKeep: names.ToList());

    /// <summary>Bytes <paramref name="tensor"/> takes in a file.</summary>
    public static long ByteSize(Tensor tensor) => tensor.NumberOfElements * tensor.ElementSize;

    /// <summary>
    /// Writes <paramref name="tensors"/> (CPU tensors) in this order to <paramref name="path"/>, with
    /// the metadata transformers writes (<c>{"format": "pt"}</c>) and the header padded with spaces to a multiple of 8.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        var header = new JsonObject { [Metadata] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach ((string name, Tensor tensor) in tensors)
        {
            long size = ByteSize(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = DtypeName(tensor.dtype, name),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach ((_, Tensor tensor) in tensors)
        {
            using Tensor contiguous = tensor.contiguous();
            contiguous.WriteBytesToStream(stream);
        }
    }

    private static string DtypeName(ScalarType dtype, string name) =>
        FileDtypes.TryGetValue(dtype, out string? dtypeName)
            ? dtypeName
            : throw new ArgumentException($"tensor '{name}' has dtype {dtype}, which safetensors files of this project do not hold");
}
