using Distill.Bench;

string mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "training-speed":
        TrainingSpeedBench.Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine("usage: Distill.Bench <mode> [options]; modes: training-speed");
        return 2;
}
