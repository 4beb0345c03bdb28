using Distill.Shared.Onnx;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>
/// An export bug a served model may have: positions counted from 0 at every run instead of fed as position_ids. A whole
/// pass is right, a cached step (whose new tokens come after a past) is not.
/// </summary>
public static class PositionsFromZero
{
    /// <summary>Copies an exported folder whose graph reads position_ids, replacing that input with 0 … S − 1 of each run.</summary>
    public static void Write(string source, string destination)
    {
        ExportedModels.CopyFolder(source, destination);
        var path = Path.Combine(destination, "model.onnx");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var graph = model.Graph;
        var input = graph.Input.Single(i => i.Name == "position_ids");
        graph.Input.Remove(input);
        graph.Initializer.Add(OnnxProtos.Int64Constant("from_zero.zero", 0));
        graph.Initializer.Add(OnnxProtos.Int64Constant("from_zero.one", 1));
        NodeProto[] counting =
        [
            OnnxProtos.Node("Mul", "from_zero.zeros", ["input_ids", "from_zero.zero"], ["from_zero.zeros"]),
            OnnxProtos.Node("Add", "from_zero.ones", ["from_zero.zeros", "from_zero.one"], ["from_zero.ones"]),
            OnnxProtos.Node("CumSum", "from_zero.counts", ["from_zero.ones", "from_zero.one"], ["from_zero.counts"]),
            OnnxProtos.Node("Sub", "position_ids", ["from_zero.counts", "from_zero.one"], ["position_ids"]),
        ];
        for (var i = 0; i < counting.Length; i++)
        {
            graph.Node.Insert(i, counting[i]);
        }
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
    }
}
