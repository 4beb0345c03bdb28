using System.Buffers;
using System.Text.Json;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// The JSON of one <c>metrics.jsonl</c> line: <c>{"step":120,"kind":"train","time":3.5,"loss":2.31,…}</c>.
/// Finite numbers are JSON numbers in their shortest round-trip form; NaN, +∞ and −∞ (which JSON numbers cannot hold)
/// are the strings "NaN", "Infinity" and "-Infinity", so a value reads back exactly as it was written.
/// </summary>
public static class MetricsLine
{
    private const string StepField = "step";
    private const string KindField = "kind";
    private const string TimeField = "time";

    /// <summary>True for the names a value cannot have because the line's own fields use them.</summary>
    public static bool IsReserved(string name) => name is StepField or KindField or TimeField;

    /// <summary>The record as one line of UTF-8 JSON, ending in '\n'.</summary>
    public static byte[] Format(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber(StepField, record.Step);
            writer.WriteString(KindField, record.Kind);
            writer.WriteNumber(TimeField, record.Time);
            foreach ((string name, double value) in record.Values)
            {
                if (double.IsFinite(value)) writer.WriteNumber(name, value);
                else writer.WriteString(name, NonFiniteName(value));
            }
            writer.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>Reads one line written by <see cref="Format"/>.</summary>
    /// <param name="where">Names the line in error messages, e.g. "metrics.jsonl line 12".</param>
    /// <exception cref="InvalidDataException">The line is not such a record.</exception>
    public static MetricsRecord Parse(string line, string where)
    {
        ArgumentNullException.ThrowIfNull(line);
        try
        {
            using var document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: not a JSON object.");
            long? step = null;
            string? kind = null;
            double? time = null;
            var values = new Dictionary<string, double>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case StepField when step is null:
                        step = property.Value.GetInt64();
                        break;
                    case KindField when kind is null:
                        kind = property.Value.GetString() ?? throw new InvalidDataException($"{where}: \"{KindField}\" is null.");
                        break;
                    case TimeField when time is null:
                        time = property.Value.GetDouble();
                        break;
                    default:
                        if (IsReserved(property.Name) || !values.TryAdd(property.Name, ReadValue(property, where)))
                        {
                            throw new InvalidDataException($"{where}: \"{property.Name}\" appears twice.");
                        }
                        break;
                }
            }
            if (step is null || kind is null || time is null)
            {
                throw new InvalidDataException($"{where}: a record needs \"{StepField}\", \"{KindField}\" and \"{TimeField}\".");
            }
            return new MetricsRecord(step.Value, kind, time.Value, values);
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: {error.Message}", error);
        }
    }

    private static double ReadValue(JsonProperty property, string where) => property.Value.ValueKind switch
    {
        JsonValueKind.Number => property.Value.GetDouble(),
        JsonValueKind.String => property.Value.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            string other => throw new InvalidDataException($"{where}: \"{property.Name}\" is the string \"{other}\", not a number."),
            null => throw new InvalidDataException($"{where}: \"{property.Name}\" is not a number."),
        },
        _ => throw new InvalidDataException($"{where}: \"{property.Name}\" is {property.Value.ValueKind}, not a number."),
    };

    private static string NonFiniteName(double value) =>
        double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
