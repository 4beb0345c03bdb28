using Distill.Shared.Onnx;
using Google.Protobuf;

namespace Distill.TeacherServer.Tests.Support;

public static class ModelFiles
{
    /// <summary>Replaces a file the way deployment tools do: write beside it under a hidden name, then rename over it.</summary>
    public static void ReplaceAtomically(string path, byte[] bytes)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Moves every initializer's bytes into <paramref name="dataFile"/> beside the model (ONNX external data).</summary>
    public static void MoveInitializersToExternalData(string modelPath, string dataFile)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        using var data = File.Create(Path.Combine(Path.GetDirectoryName(modelPath)!, dataFile));
        foreach (var tensor in model.Graph.Initializer)
        {
            var offset = data.Position;
            tensor.RawData.WriteTo(data);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataFile });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.RawData = ByteString.Empty;
        }
        File.WriteAllBytes(modelPath, model.ToByteArray());
    }
}
