package runtime.cli.commands;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

@Command(name = "data", description = "print the path of the image store")
public final class DataCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(Context.engine().store().data());
        return 0;
    }
}
